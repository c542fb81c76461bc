package app

import (
	"context"

	"github.com/haloy-auth/haloy/ports"
)

// ListTargets names the targets of an app config: what -t completes to.
type ListTargets struct {
	configs ports.AppConfigs
}

// NewListTargets returns the use case.
func NewListTargets(configs ports.AppConfigs) *ListTargets {
	return &ListTargets{configs: configs}
}

// Run returns the target names of the app config at path ("" for the
// current directory), sorted; none for a config without targets. It reads
// the file only: no secret is resolved and no server is called. Returns the
// Load error of ports.AppConfigs.
func (uc *ListTargets) Run(ctx context.Context, path string) ([]string, error) {
	cfg, err := uc.configs.Load(ctx, path)
	if err != nil {
		return nil, err
	}
	return cfg.TargetNames(), nil
}
