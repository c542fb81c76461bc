package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/httpserver"
	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// gatedStore is the SQLite store with a Touch that stops, and is waited
// for, before the store closes: the server writes last use in the
// background, and a write after the test's end would reopen the database
// while its directory is being removed.
type gatedStore struct {
	*sqlite.Store
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (g *gatedStore) Touch(ctx context.Context, id int64, at time.Time) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	return g.Store.Touch(ctx, id, at)
}

func (g *gatedStore) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
	g.Store.Close()
}

// tokenServer is haloyadm's API (httpserver over SQLite, with the real
// app.TokenAdmin) on loopback, with handler in front of it when given.
func tokenServer(t *testing.T, dataDir string, front func(http.Handler) http.Handler) (*httptest.Server, *app.TokenAdmin, *memory.Notes) {
	t.Helper()
	store := &gatedStore{Store: sqlite.New(memory.Env{core.ServerDataDirEnv: dataDir})}
	t.Cleanup(store.shut)
	notes := &memory.Notes{}
	admin := app.NewTokenAdmin(&memory.ServerConfig{Settings: &core.ServerSettings{}}, store, notes)
	var h http.Handler = httpserver.New(store, store, notes, httpserver.WithTokenAdmin(admin)).Handler()
	if front != nil {
		h = front(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close) // before the store shuts: cleanups run last first
	return hs, admin, notes
}
