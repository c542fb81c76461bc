package app

import (
	"context"
	"errors"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// VerifyServer is the check of `haloy server add --verify`: before anything
// is saved, the server must answer /health and accept the token on
// /v1/version. It writes nothing; AddServer saves afterwards.
type VerifyServer struct {
	store ports.ClientStore
	certs ports.CACerts
	api   ports.ServerAPI
}

// NewVerifyServer returns the use case.
func NewVerifyServer(store ports.ClientStore, certs ports.CACerts, api ports.ServerAPI) *VerifyServer {
	return &VerifyServer{store: store, certs: certs, api: api}
}

// Run checks in as AddServer would (name, token, CA file, an existing
// server without --force), without any call when that fails, then asks the
// server. Errors
// are AddServer's, or the ServerAPI's with "not added: " before What.
func (uc *VerifyServer) Run(ctx context.Context, in core.AddServer) (core.VersionResponse, error) {
	if in.CACert != "" {
		abs, err := uc.certs.CheckCA(in.CACert)
		if err != nil {
			return core.VersionResponse{}, err
		}
		in.CACert = abs
	}
	st, err := uc.store.Load(ctx)
	if err != nil {
		return core.VersionResponse{}, err
	}
	// Load returns a copy: adding to it is a dry run of AddServer's checks
	if _, err := st.Add(in); err != nil {
		return core.VersionResponse{}, err
	}
	server, err := core.NormalizeServer(in.Server)
	if err != nil {
		return core.VersionResponse{}, err
	}
	// after the dry run the state holds the CA file to use: the new one, or the one kept
	key, _ := st.Key(server)
	ep := core.Endpoint{Server: server, CACert: st.Servers[key].CACert, Token: core.Secret(in.Token), TokenSource: "your input",
		TokenFix: "haloy server add " + server + " --verify --token-stdin"}
	if _, err := uc.api.Health(ctx, ep); err != nil {
		return core.VersionResponse{}, notAdded(err)
	}
	v, err := uc.api.Version(ctx, ep)
	if err != nil {
		return core.VersionResponse{}, notAdded(err)
	}
	return v, nil
}

// notAdded marks err as the reason nothing was saved.
func notAdded(err error) error {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return err
	}
	c := *ce
	c.What = "not added: " + c.What
	return &c
}
