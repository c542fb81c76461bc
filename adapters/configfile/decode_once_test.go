package configfile_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/core"
)

// Decode parses the file once and decodes from that parse: the edge cases
// of a yaml.Decoder's first Decode (no document, several documents) must
// keep their meaning.
func TestDecodeDocuments(t *testing.T) {
	tests := []struct {
		name string
		data string
		want core.AppConfig
	}{
		{"empty_file", "", core.AppConfig{File: "h.yaml", Format: "yaml"}},
		{"comment_only", "# nothing yet\n", core.AppConfig{File: "h.yaml", Format: "yaml"}},
		{"leading_separator", "---\nname: a\n", core.AppConfig{TargetConfig: core.TargetConfig{Name: "a"}, File: "h.yaml", Format: "yaml", Lines: map[string]int{"name": 2}}},
		// the first document is the config; the key lines come from every one
		{"two_documents", "name: a\n---\nname: b\n", core.AppConfig{TargetConfig: core.TargetConfig{Name: "a"}, File: "h.yaml", Format: "yaml", Lines: map[string]int{"name": 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configfile.Decode("h.yaml", []byte(tt.data))
			if err != nil {
				t.Fatalf("Decode(%q) error = %v, want nil", tt.data, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}
