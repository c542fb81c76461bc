package app

import (
	"context"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ServerVersion asks a configured server for its version, with the
// server's token from the client store: the same authenticated path a
// deployment takes, so it doubles as a check of the token.
type ServerVersion struct {
	store ports.ClientStore
	env   ports.Env
	api   ports.ServerAPI
	notes ports.Notifier
	now   func() time.Time
	// Quiet silences the warning about a token that expires soon.
	Quiet bool
}

// NewServerVersion returns the use case.
func NewServerVersion(store ports.ClientStore, env ports.Env, api ports.ServerAPI, notes ports.Notifier) *ServerVersion {
	return &ServerVersion{store: store, env: env, api: api, notes: notes, now: time.Now}
}

// ServerVersionResult is a server's answer to GET /v1/version.
type ServerVersionResult struct {
	// Server is the normalized server name.
	Server string
	// Version is the server's answer.
	Version core.VersionResponse
	// TokenSource says where the token came from.
	TokenSource string
}

// Run asks server (as typed; "" means the only configured server) for its
// version. With no server given and none or several configured, it returns
// a *core.Error of Kind Missing; the ServerAPI's errors are returned as they are.
func (uc *ServerVersion) Run(ctx context.Context, server string) (ServerVersionResult, error) {
	st, err := uc.store.Load(ctx)
	if err != nil {
		return ServerVersionResult{}, err
	}
	if server == "" {
		if server, err = onlyServer(st); err != nil {
			return ServerVersionResult{}, err
		}
	} else if server, err = core.NormalizeServerFor(server, "haloy server version --server %s"); err != nil {
		return ServerVersionResult{}, err
	}
	ep, err := storeEndpoint(st, uc.env, server)
	if err != nil {
		return ServerVersionResult{}, err
	}
	v, err := uc.api.Version(ctx, ep)
	if err != nil {
		return ServerVersionResult{}, err
	}
	if note := newExpiryWarner(uc.env, uc.Quiet).note(ep, v, uc.now()); note != "" {
		uc.notes.Warn(note)
	}
	return ServerVersionResult{Server: server, Version: v, TokenSource: ep.TokenSource}, nil
}

// onlyServer returns the one configured server, or an error saying to pick one.
func onlyServer(st core.ClientState) (string, error) {
	names := st.ServerNames()
	switch len(names) {
	case 1:
		return names[0], nil
	case 0:
		return "", &core.Error{Kind: core.Missing, What: "no server is configured",
			Fix: "haloy server add <server> --token-stdin"}
	default:
		return "", &core.Error{Kind: core.Missing, What: "several servers are configured; say which with --server",
			Why: "configured: " + strings.Join(names, ", "), Fix: "haloy server version --server " + names[0]}
	}
}
