package app

import (
	"context"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// DeleteServer is `haloy server delete`: it removes a server and its token.
type DeleteServer struct {
	store ports.ClientStore
}

// NewDeleteServer returns the use case.
func NewDeleteServer(store ports.ClientStore) *DeleteServer {
	return &DeleteServer{store: store}
}

// Run removes the server named server (as given, else normalized, so
// Production.Haloy.com finds production.haloy.com) and its token line;
// other servers, variables and comments stay. Returns a *core.Error of Kind
// Invalid for a bad name and of Kind NotFound, listing the configured
// servers, for an unknown one.
func (uc *DeleteServer) Run(ctx context.Context, server string) (core.Deleted, error) {
	var out core.Deleted
	err := uc.store.Update(ctx, func(st *core.ClientState) error {
		var err error
		out, err = st.Delete(server)
		return err
	})
	if err != nil {
		return core.Deleted{}, err
	}
	return out, nil
}
