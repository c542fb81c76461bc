package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Status asks each chosen target's server for the app's status, targets
// queried at once: Haloy's answer (state, deployment, containers, domains),
// and the deployments haloyadm serve recorded when the server is ours.
type Status struct {
	resolve *Resolve
	store   ports.ClientStore
	api     ports.ServerAPI
	ci      ports.CIIdentity
	notes   ports.Notifier
	now     func() time.Time
}

// NewStatus returns the use case.
func NewStatus(resolve *Resolve, store ports.ClientStore, api ports.ServerAPI, ci ports.CIIdentity, notes ports.Notifier) *Status {
	return &Status{resolve: resolve, store: store, api: api, ci: ci, notes: notes, now: time.Now}
}

// StatusInput chooses the config and its targets, as for Resolve.
type StatusInput struct {
	Config  string
	Targets []string
	All     bool
	// Quiet silences the warning about tokens that expire soon.
	Quiet bool
}

// TargetStatus is one target's app status.
type TargetStatus struct {
	Target, App, Server string
	// Known is false when the server has never seen the app.
	Known bool
	// State, DeploymentID, ContainerIDs and Domains are Haloy's answer, for
	// the newest deployment.
	State, DeploymentID string
	ContainerIDs        []string
	Domains             []core.Domain
	// Deployments are the app's deployments haloyadm serve recorded,
	// newest first; nil from a server that does not send them (haloyd).
	// Haloy's request does not name the target, so targets that deploy the
	// same app to the same server see each other's.
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
	warn := newExpiryWarner(uc.resolve.env, in.Quiet)
	var wg sync.WaitGroup
	for i, t := range res.Targets {
		wg.Go(func() {
			out[i] = TargetStatus{Target: t.Target, App: t.App, Server: t.Server}
			r, err := uc.api.Status(ctx, eps[i], t.App)
			if note := warn.note(eps[i], core.VersionResponse{TokenExpiresAt: r.TokenExpiresAt}, uc.now()); note != "" {
				uc.notes.Warn(note)
			}
			switch {
			case kindOf(err) == core.NotFound:
			case err != nil:
				out[i].Err = err
			default:
				o := &out[i]
				o.Known, o.State, o.DeploymentID, o.ContainerIDs, o.Domains, o.Deployments = true, r.State, r.DeploymentID, r.ContainerIDs, r.Domains, r.Deployments
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
