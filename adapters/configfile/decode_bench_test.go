package configfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml/parser"

	"github.com/haloy-auth/haloy/adapters/configfile"
)

// BenchmarkDecode decodes the corpus's every-key config in each format;
// the same run's baseline is goccy's parse of the YAML file alone (what
// any decode costs at least).
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"everything.yaml", "everything.json", "everything.toml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
		if err != nil {
			b.Fatal(err)
		}
		if name == "everything.yaml" {
			b.Run("baseline_parse_only", func(b *testing.B) {
				for b.Loop() {
					if _, err := parser.ParseBytes(data, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := configfile.Decode(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
