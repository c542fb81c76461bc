package memory

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.DeploymentLog = (*Deployments)(nil)

// Deployments is the twin of the SQLite deployment log. The zero value is
// an empty log.
type Deployments struct {
	mu   sync.Mutex
	recs []core.DeploymentRecord
}

// Record stores rec.
func (d *Deployments) Record(_ context.Context, rec core.DeploymentRecord) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.recs {
		if r.ID == rec.ID {
			return core.DuplicateDeployment(rec.ID)
		}
	}
	if body, err := json.Marshal(rec.Deployment); err == nil && len(body) > core.MaxDeploymentRecordBytes {
		return core.DeploymentTooLarge(rec.ID, len(body))
	}
	rec.ReceivedAt = utc(rec.ReceivedAt)
	// keep no reference to the caller's slices, as a database would not
	rec.Domains = cloneDomains(rec.Domains)
	rec.EnvNames = nilIfEmpty(slices.Clone(rec.EnvNames))
	d.recs = append(d.recs, rec)
	// retention: the app's newest records only, as the database keeps
	kept := 0
	for i := len(d.recs) - 1; i >= 0; i-- {
		if d.recs[i].App != rec.App {
			continue
		}
		if kept++; kept > core.KeepDeploymentsPerApp {
			d.recs = slices.Delete(d.recs, i, i+1)
		}
	}
	return nil
}

// cloneDomains copies ds; empty lists come back nil, as they do from the
// database's JSON (omitempty).
func cloneDomains(ds []core.Domain) []core.Domain {
	if len(ds) == 0 {
		return nil
	}
	out := make([]core.Domain, len(ds))
	for i, x := range ds {
		out[i] = core.Domain{Domain: x.Domain, Aliases: nilIfEmpty(slices.Clone(x.Aliases))}
	}
	return out
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// History returns app's deployments, newest first.
func (d *Deployments) History(_ context.Context, app string) ([]core.DeploymentRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []core.DeploymentRecord{}
	for i := len(d.recs) - 1; i >= 0; i-- {
		if d.recs[i].App == app {
			out = append(out, d.recs[i])
		}
	}
	return out, nil
}

// Find returns the deployment with id, and false if none is recorded.
func (d *Deployments) Find(_ context.Context, id string) (core.DeploymentRecord, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.recs {
		if r.ID == id {
			return r, true, nil
		}
	}
	return core.DeploymentRecord{}, false, nil
}
