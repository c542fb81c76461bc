package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.TrustStore = (*Trust)(nil)

// Trust is the twin of the trust policy store. The zero value is empty.
type Trust struct {
	mu       sync.Mutex
	policies []core.TrustPolicy
	nextID   int64
	used     map[string]time.Time
	// Now stamps CreatedAt; nil is time.Now.
	Now func() time.Time
}

func clonePolicy(p core.TrustPolicy) core.TrustPolicy {
	p.Apps, p.Scopes = slices.Clone(p.Apps), slices.Clone(p.Scopes)
	if p.Claims != nil {
		c := make(map[string]string, len(p.Claims))
		for k, v := range p.Claims {
			c[k] = v
		}
		p.Claims = c
	}
	return p
}

// AddPolicy implements ports.TrustStore.
func (m *Trust) AddPolicy(_ context.Context, p core.TrustPolicy) (core.TrustPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	p.ID = m.nextID
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	p.CreatedAt = now().UTC().Truncate(time.Second)
	m.policies = append(m.policies, clonePolicy(p))
	return clonePolicy(p), nil
}

// Policies implements ports.TrustStore.
func (m *Trust) Policies(context.Context) ([]core.TrustPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]core.TrustPolicy, 0, len(m.policies))
	for _, p := range m.policies {
		out = append(out, clonePolicy(p))
	}
	return out, nil
}

// RemovePolicy implements ports.TrustStore.
func (m *Trust) RemovePolicy(_ context.Context, id int64) (core.TrustPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, p := range m.policies {
		if p.ID == id {
			m.policies = slices.Delete(m.policies, i, i+1)
			return p, nil
		}
	}
	return core.TrustPolicy{}, core.UnknownPolicy(id, m.ids())
}

func (m *Trust) ids() []int64 {
	var ids []int64
	for _, p := range m.policies {
		ids = append(ids, p.ID)
	}
	return ids
}

// PinPolicy implements ports.TrustStore.
func (m *Trust) PinPolicy(_ context.Context, id int64, repoID, ownerID string) (core.TrustPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.policies {
		p := &m.policies[i]
		if p.ID != id {
			continue
		}
		if p.RepositoryID == "" {
			p.RepositoryID = repoID
		}
		if p.OwnerID == "" {
			p.OwnerID = ownerID
		}
		return clonePolicy(*p), nil
	}
	return core.TrustPolicy{}, core.UnknownPolicy(id, m.ids())
}

// UseOnce implements ports.TrustStore.
func (m *Trust) UseOnce(_ context.Context, issuer, jti string, until, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used == nil {
		m.used = map[string]time.Time{}
	}
	for k, u := range m.used {
		if !now.Before(u) {
			delete(m.used, k)
		}
	}
	key := issuer + "\x00" + jti
	if _, seen := m.used[key]; seen {
		return false, nil
	}
	m.used[key] = until
	return true, nil
}
