package fs

import (
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

var clientYAMLSeeds = []string{
	"servers:\n  a.example.com:\n    token_env: HALOY_API_TOKEN_A_EXAMPLE_COM\n",
	"servers:\n  a.example.com:\n    token_env: A\n    ca_cert: /etc/ca.pem\n  b:\n    token_env: B\n",
	"servers: {a: {token_env: A}, \"b c\": {token_env: 'B'}}\n",
	"servers: {}\n",
	"servers:\n  a: {}\n",
	"servers:\n  a:\n    token_env: \"A\\u0041\"\n",
	"---\nservers:\n  a:\n    token_env: A\n",
	"servers:\n  a:\n    token_env: 123\n",
	"servers:\n  a:\n    token_env: ~\n",
	"servers:\n  a: &x\n    token_env: A\n  b: *x\n",
	"servers:\n  a:\n    token_env: !!str 12\n",
	"servers:\n  a:\n    token_env: A\n    extra: 1\n",
	"servers:\n  a:\n    token_env: A\n  a:\n    token_env: B\n",
	"servers:\n",
	"servers:\n  12:\n    token_env: A\n",
	"other: 1\nservers: {}\n",
	"servers:\n  a:\n    token_env: |\n      A\n",
	"",
}

// The plain decoding takes the shapes haloy writes and leaves every other
// one to yaml.UnmarshalWithOptions, so that their errors stay as they were.
func TestDecodeClientPlain(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		want   map[string]core.ServerRef
		wantOK bool
	}{
		{"block", clientYAMLSeeds[1], map[string]core.ServerRef{
			"a.example.com": {TokenEnv: "A", CACert: "/etc/ca.pem"}, "b": {TokenEnv: "B"}}, true},
		{"flow_and_quotes", clientYAMLSeeds[2], map[string]core.ServerRef{"a": {TokenEnv: "A"}, "b c": {TokenEnv: "B"}}, true},
		{"no_servers", clientYAMLSeeds[3], map[string]core.ServerRef{}, true},
		{"escape", clientYAMLSeeds[5], map[string]core.ServerRef{"a": {TokenEnv: "AA"}}, true},
		{"number", clientYAMLSeeds[7], nil, false},
		{"null", clientYAMLSeeds[8], nil, false},
		{"alias", clientYAMLSeeds[9], nil, false},
		{"tag", clientYAMLSeeds[10], nil, false},
		{"unknown_key", clientYAMLSeeds[11], nil, false},
		{"duplicate", clientYAMLSeeds[12], nil, false},
		{"null_servers", clientYAMLSeeds[13], nil, false},
		{"unknown_top_key", clientYAMLSeeds[15], nil, false},
		{"empty_file", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeClientPlain([]byte(tt.data))
			if ok != tt.wantOK {
				t.Fatalf("decodeClientPlain(%q) ok = %v, want %v", tt.data, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeClientPlain(%q) mismatch (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}

// Whatever the plain decoding accepts, yaml.UnmarshalWithOptions (strict)
// accepts too, with the same result.
func FuzzDecodeClientPlain(f *testing.F) {
	for _, s := range clientYAMLSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeClientPlain(data)
		if !ok {
			return
		}
		var cf clientFile
		if err := yaml.UnmarshalWithOptions(data, &cf, yaml.DisallowUnknownField()); err != nil {
			t.Fatalf("decodeClientPlain(%q) ok, but yaml.UnmarshalWithOptions = %v", data, err)
		}
		want := make(map[string]core.ServerRef, len(cf.Servers))
		for name, e := range cf.Servers {
			want[name] = core.ServerRef{TokenEnv: e.TokenEnv, CACert: e.CACert}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decodeClientPlain(%q) mismatch with yaml.UnmarshalWithOptions (-want +got):\n%s", data, diff)
		}
	})
}
