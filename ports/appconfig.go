package ports

import (
	"context"

	"github.com/haloy-auth/haloy/core"
)

// AppConfigs loads app configs (haloy.json, haloy.yaml, haloy.yml, haloy.toml).
type AppConfigs interface {
	// Load reads the app config at path: a file, or a directory in which to
	// look for haloy.json, haloy.yaml, haloy.yml then haloy.toml (Haloy's
	// order); "" means the current directory. The result's File is the file
	// read, its Skipped the other config files of that directory. Returns a *core.Error of
	// Kind NotFound when there is no such file or no config in the directory,
	// and of Kind Invalid naming the file, line and column when it does not
	// decode (an unknown key comes with the closest known one).
	Load(ctx context.Context, path string) (core.AppConfig, error)
}
