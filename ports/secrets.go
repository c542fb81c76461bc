package ports

import (
	"context"

	"github.com/haloy-auth/haloy/core"
)

// SecretSource reads items of one secret provider (1Password, ...).
type SecretSource interface {
	// Describe checks a source's settings without any I/O and names its item
	// for people, e.g. "1Password Infrastructure/Haloy API Tokens". Returns a
	// *core.Error of Kind Invalid when a setting is missing or unknown.
	Describe(src core.SecretSourceRef) (string, error)
	// Fields fetches every field of the source's item: label -> value. One
	// call per item per run, however many references point into it. Returns
	// a *core.Error of Kind Missing when the provider's tool is not installed
	// or not signed in, of Kind NotFound when the item does not exist, and
	// of Kind Unavailable when it does not answer in time.
	Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error)
}

// SecretSources maps a provider's name, as written under secret_providers
// and in references ("onepassword"), to its SecretSource. Adding a provider
// adds an entry in the wiring; nothing in core or app changes.
type SecretSources map[string]SecretSource
