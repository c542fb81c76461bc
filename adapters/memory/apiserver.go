package memory

import (
	"context"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.APIServer = (*APIServer)(nil)

// APIServer is the twin of the HTTP API server: it listens on nothing,
// reports Addr as ready, and serves until its context ends.
type APIServer struct {
	mu sync.Mutex
	// Addr is what ready receives.
	Addr string
	// Err, when set, is returned at once instead of serving (a port in use).
	Err error
	// Served holds the options of each call.
	Served []core.ServeOptions
	// Up, when not nil, receives Addr once ready was called.
	Up chan string
}

// Serve records opts, then waits for ctx to end.
func (s *APIServer) Serve(ctx context.Context, opts core.ServeOptions, ready func(addr string)) error {
	s.mu.Lock()
	s.Served = append(s.Served, opts)
	addr, err, up := s.Addr, s.Err, s.Up
	s.mu.Unlock()
	if err != nil {
		return err
	}
	ready(addr)
	if up != nil {
		up <- addr
	}
	<-ctx.Done()
	return nil
}
