package app

import (
	"context"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ListTrust is `haloyadm trust list`.
type ListTrust struct {
	config ports.ServerConfig
	trust  ports.TrustStore
}

// NewListTrust returns the use case.
func NewListTrust(config ports.ServerConfig, trust ports.TrustStore) *ListTrust {
	return &ListTrust{config: config, trust: trust}
}

// TrustListing is the policies with the server's default audience.
type TrustListing struct {
	Policies []core.TrustPolicy
	// DefaultAudience is haloy:<api domain>, or haloy:<listen address>
	// when init was given no domain.
	DefaultAudience string
}

// Run returns every policy, oldest first. Returns a *core.Error of Kind
// Missing if haloyadm is not initialized.
func (uc *ListTrust) Run(ctx context.Context) (TrustListing, error) {
	settings, err := uc.config.Load(ctx)
	if err != nil {
		return TrustListing{}, err
	}
	ps, err := uc.trust.Policies(ctx)
	if err != nil {
		return TrustListing{}, err
	}
	return TrustListing{Policies: ps, DefaultAudience: core.DefaultAudience(settings.APIDomain, "<listen address>")}, nil
}
