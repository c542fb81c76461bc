package memory

import (
	"context"
	"maps"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.ClientStore = (*ClientStore)(nil)

// ClientStore keeps the client's state in memory, with the real store's
// semantics: Load returns a copy, Update changes nothing when fn fails.
type ClientStore struct {
	mu     sync.Mutex
	state  core.ClientState
	writes int
	// Err, when set, is returned by Load and Update, as the real store
	// returns a *core.Error for a file that does not parse or a .env file
	// writable by other users.
	Err error
}

// NewClientStore returns a store that starts with a copy of st.
func NewClientStore(st core.ClientState) *ClientStore {
	return &ClientStore{state: clone(st)}
}

// Load returns a copy of the current state; its maps are never nil, but
// Local, nil unless the store started with one.
func (s *ClientStore) Load(ctx context.Context) (core.ClientState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return core.ClientState{}, s.Err
	}
	return clone(s.state), nil
}

// Update runs fn on a copy of the state and keeps the copy only if fn
// succeeds.
func (s *ClientStore) Update(ctx context.Context, fn func(*core.ClientState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	next := clone(s.state)
	if err := fn(&next); err != nil {
		return err
	}
	next.Local = s.state.Local // as the real store: .env.local is never written
	s.state = clone(next)
	s.writes++
	return nil
}

// State returns a copy of the current state, for assertions in tests.
func (s *ClientStore) State() core.ClientState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.state)
}

// Writes returns how many times Update wrote the state.
func (s *ClientStore) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func clone(st core.ClientState) core.ClientState {
	out := core.ClientState{Servers: maps.Clone(st.Servers), Tokens: maps.Clone(st.Tokens), Local: maps.Clone(st.Local)}
	if out.Servers == nil {
		out.Servers = map[string]core.ServerRef{}
	}
	if out.Tokens == nil {
		out.Tokens = map[string]string{}
	}

	return out
}
