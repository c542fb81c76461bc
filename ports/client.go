package ports

import (
	"context"

	"github.com/haloy-auth/haloy/core"
)

// ClientStore keeps the client's servers (client.yaml) and their tokens (the
// .env file) in the client config directory, and reads the .env.local
// there (core.ClientState.Local), which Haloy reads too.
type ClientStore interface {
	// Load reads the current state. A missing directory or file is an empty
	// state, not an error. Returns a *core.Error of Kind Invalid when a file
	// does not parse, and of Kind Unsafe when the .env or .env.local file is
	// writable by other users.
	Load(ctx context.Context) (core.ClientState, error)
	// Update runs fn on the current state while holding a lock that excludes
	// every other Update, in this process or another, then writes what fn
	// left, each file atomically. If fn returns an error nothing is written
	// and that error is returned as is.
	Update(ctx context.Context, fn func(*core.ClientState) error) error
}

// Env reads variables of an environment.
type Env interface {
	// Lookup returns the value of key and whether it is set.
	Lookup(key string) (string, bool)
}
