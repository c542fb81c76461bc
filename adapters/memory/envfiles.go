package memory

import (
	"context"
	"maps"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.EnvFiles = EnvFiles(nil)

// EnvFiles holds dotenv files in memory: path -> variables. A path that is
// not there reads as empty, like a missing file on disk.
type EnvFiles map[string]map[string]string

// Read returns a copy of the variables stored under path.
func (f EnvFiles) Read(ctx context.Context, path string) (map[string]string, error) {
	out := maps.Clone(f[path])
	if out == nil {
		out = map[string]string{}
	}
	return out, nil
}
