package app

import (
	"context"

	"github.com/haloy-auth/haloy/ports"
)

// Where a server's token was found, as ListServers reports it.
const (
	TokenInEnvironment = "environment"
	TokenInConfigLocal = "config .env.local"
	TokenInConfigEnv   = "config .env"
)

// ServerEntry is one row of `haloy server list`: never the token itself.
type ServerEntry struct {
	Server   string `json:"server"`
	TokenEnv string `json:"token_env"`
	// TokenAvailable says whether TokenEnv is set, non-empty, in the process
	// environment or the config directory's .env.local or .env.
	TokenAvailable bool `json:"token_available"`
	// TokenSource is where the token is found first, as when deploying:
	// TokenInEnvironment, TokenInConfigLocal, TokenInConfigEnv, or "" when
	// the token is nowhere.
	TokenSource string `json:"token_source"`
	CACert      string `json:"ca_cert,omitempty"`
}

// ListServers is `haloy server list`.
type ListServers struct {
	store ports.ClientStore
	env   ports.Env
}

// NewListServers returns the use case.
func NewListServers(store ports.ClientStore, env ports.Env) *ListServers {
	return &ListServers{store: store, env: env}
}

// Run returns the configured servers sorted by name, each with whether its
// token is available and where; an empty slice when there are none.
func (uc *ListServers) Run(ctx context.Context) ([]ServerEntry, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	// the layers a deploy looks the server's variable up in, in its order
	env := clientEnv(st, uc.env)
	source := map[string]string{"": TokenInEnvironment, configDirLocal: TokenInConfigLocal, configDirEnv: TokenInConfigEnv}
	out := make([]ServerEntry, 0, len(st.Servers))
	for _, name := range st.ServerNames() {
		ref := st.Servers[name]
		e := ServerEntry{Server: name, TokenEnv: ref.TokenEnv, CACert: ref.CACert}
		if _, layer, ok := env.Lookup(ref.TokenEnv); ok {
			e.TokenSource = source[layer]
		}
		e.TokenAvailable = e.TokenSource != ""
		out = append(out, e)
	}
	return out, nil
}
