package app

import (
	"context"
	"errors"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Status asks each chosen target's server for the deployments it recorded
// of the app, targets queried at once.
type Status struct {
	resolve *Resolve
	store   ports.ClientStore
	api     ports.ServerAPI
	ci      ports.CIIdentity
}

// NewStatus returns the use case.
func NewStatus(resolve *Resolve, store ports.ClientStore, api ports.ServerAPI, ci ports.CIIdentity) *Status {
	return &Status{resolve: resolve, store: store, api: api, ci: ci}
}

// StatusInput chooses the config and its targets, as for Resolve.
type StatusInput struct {
	Config  string
	Targets []string
	All     bool
}

// TargetStatus is one target's recorded deployments, newest first.
type TargetStatus struct {
	Target, App, Server string
	// Deployments are the target's deployments (all of the app's when the
	// config has no targets), newest first; empty when none is recorded.
	Deployments []core.DeploymentRecord
	// Err is why the server could not tell; nil otherwise.
	Err error
}

// Run returns every chosen target's status, in the order chosen. An app
// the server has never seen has no deployments, which is not an error.
// Resolution problems stop everything; a server's failure is kept in its
// targets' results, and the error joins them, each prefixed with its target.
func (uc *Status) Run(ctx context.Context, in StatusInput) ([]TargetStatus, error) {
	// It only reads: without -t, every target (deploy needs -t or -a).
	res, err := uc.resolve.Run(ctx, ResolveInput{Config: in.Config, Targets: in.Targets, All: in.All})
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	st, err := uc.store.Load(ctx)
	if err != nil {
		return nil, err
	}
	eps := make([]core.Endpoint, len(res.Targets))
	for i, t := range res.Targets {
		eps[i] = targetEndpoint(t, st, res.File)
	}
	// a CI identity (api_token.from.oidc) is exchanged first, as for deploy
	if err := exchangeIdentities(ctx, uc.ci, uc.api, res.Targets, eps, nil); err != nil {
		return nil, err
	}
	out := make([]TargetStatus, len(res.Targets))
	var wg sync.WaitGroup
	for i, t := range res.Targets {
		wg.Go(func() {
			out[i] = TargetStatus{Target: t.Target, App: t.App, Server: t.Server}
			r, err := uc.api.Status(ctx, eps[i], t.App)
			switch {
			case kindOf(err) == core.NotFound:
				out[i].Deployments = []core.DeploymentRecord{}
			case err != nil:
				out[i].Err = err
			default:
				out[i].Deployments = []core.DeploymentRecord{}
				for _, d := range r.Deployments {
					if t.Target == "" || d.Target == t.Target {
						out[i].Deployments = append(out[i].Deployments, d)
					}
				}
			}
		})
	}
	wg.Wait()
	var errs []error
	for _, s := range out {
		if s.Err != nil {
			errs = append(errs, forTarget(s.Target, s.Err))
		}
	}
	return out, errors.Join(errs...)
}
