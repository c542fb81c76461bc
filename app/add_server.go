package app

import (
	"context"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// AddServer is `haloy server add`: it stores a server and its token.
type AddServer struct {
	store ports.ClientStore
	certs ports.CACerts
	env   ports.Env
}

// NewAddServer returns the use case.
func NewAddServer(store ports.ClientStore, certs ports.CACerts, env ports.Env) *AddServer {
	return &AddServer{store: store, certs: certs, env: env}
}

// Run adds in.Server with in.Token, or with in.Force replaces the token of
// a server already there. Every input is checked before the store is
// touched, so nothing is written when one is rejected. in.CACert, when set,
// must be a PEM file; its absolute path is stored. Returns a *core.Error of
// Kind Invalid for a bad name, token or CA file, and of Kind Conflict when
// the server exists and in.Force is false. The result's ShadowedBy says
// when another value of the token's variable wins over the one stored.
func (uc *AddServer) Run(ctx context.Context, in core.AddServer) (core.Added, error) {
	if err := core.ValidateAdd(in.Server, in.Token); err != nil {
		return core.Added{}, err
	}
	if in.CACert != "" {
		abs, err := uc.certs.CheckCA(in.CACert)
		if err != nil {
			return core.Added{}, err
		}
		in.CACert = abs
	}
	var out core.Added
	err := uc.store.Update(ctx, func(st *core.ClientState) error {
		var err error
		out, err = st.Add(in)
		if err != nil {
			return err
		}
		if v, ok := uc.env.Lookup(out.TokenEnv); ok && v != "" && v != in.Token {
			out.ShadowedBy = "the environment"
		} else if v := st.Local[out.TokenEnv]; v != "" && v != in.Token {
			out.ShadowedBy = configDirLocal
		}
		return nil
	})
	if err != nil {
		return core.Added{}, err
	}
	return out, nil
}
