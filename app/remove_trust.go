package app

import (
	"context"
	"strconv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// RemoveTrust is `haloyadm trust remove <id>`.
type RemoveTrust struct {
	config ports.ServerConfig
	trust  ports.TrustStore
}

// NewRemoveTrust returns the use case.
func NewRemoveTrust(config ports.ServerConfig, trust ports.TrustStore) *RemoveTrust {
	return &RemoveTrust{config: config, trust: trust}
}

// Run deletes policy ref (its decimal id): the next exchange no longer
// sees it. Returns a *core.Error of Kind Invalid for an id that is not a
// number, of Kind NotFound for an unknown one, and of Kind Missing if
// haloyadm is not initialized.
func (uc *RemoveTrust) Run(ctx context.Context, ref string) (core.TrustPolicy, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return core.TrustPolicy{}, &core.Error{Kind: core.Invalid, What: "invalid trust policy id " + strconv.Quote(ref),
			Why: "a policy is removed by its number", Fix: "run 'haloyadm trust list' for ids"}
	}
	if _, err := uc.config.Load(ctx); err != nil {
		return core.TrustPolicy{}, err
	}
	return uc.trust.RemovePolicy(ctx, id)
}
