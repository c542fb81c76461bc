package memory

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.AppConfigs = AppConfigs(nil)

// configNames are the names looked for in a directory, in Haloy's order.
var configNames = []string{"haloy.json", "haloy.yaml", "haloy.yml", "haloy.toml"}

// AppConfigs holds decoded app configs by file path ("haloy.yaml",
// "project-a/production.haloy.yaml"). Load finds them as the real loader
// does: a path that names a config, or a directory ("" is ".") holding
// haloy.json, haloy.yaml, haloy.yml or haloy.toml, in that order.
type AppConfigs map[string]core.AppConfig

// Load returns the config at path, with File set to the path found.
func (c AppConfigs) Load(ctx context.Context, path string) (core.AppConfig, error) {
	if cfg, ok := c[path]; ok && path != "" {
		cfg.File = path
		return cfg, nil
	}
	isDir := path == ""
	var found []string
	for _, n := range configNames {
		p := n
		if path != "" {
			p = filepath.Join(path, n)
		}
		if _, ok := c[p]; ok {
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		cfg := c[found[0]]
		cfg.File = found[0]
		if len(found) > 1 {
			cfg.Skipped = found[1:]
		}
		return cfg, nil
	}
	for p := range c {
		if path != "" && filepath.Dir(p) == filepath.Clean(path) {
			isDir = true
		}
	}
	if !isDir {
		return core.AppConfig{}, &core.Error{Kind: core.NotFound, What: "app config " + strconv.Quote(path) + " not found",
			Why: "there is no such file or directory", Fix: "pass --config with the path of your haloy.yaml"}
	}
	where := "the current directory"
	if path != "" {
		where = strconv.Quote(path)
	}
	return core.AppConfig{}, &core.Error{Kind: core.NotFound, What: "no app config in " + where,
		Why: "looked for " + strings.Join(configNames, ", "),
		Fix: "create haloy.yaml there, or pass --config <file> (e.g. --config production.haloy.yaml)"}
}
