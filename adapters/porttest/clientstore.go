// Package porttest holds the contract of each port as a test suite, run
// against the real adapter and against its in-memory twin, so that the twin
// the use-case tests rely on behaves like the real thing.
package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ClientStore runs the ports.ClientStore contract. newStore returns an
// empty store, private to the test.
func ClientStore(t *testing.T, newStore func(t *testing.T) ports.ClientStore) {
	ctx := context.Background()
	empty := core.ClientState{Servers: map[string]core.ServerRef{}, Tokens: map[string]string{}}

	t.Run("empty_load", func(t *testing.T) {
		got, err := newStore(t).Load(ctx)
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if diff := cmp.Diff(empty, got); diff != "" {
			t.Errorf("Load() of an empty store mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("update_then_load", func(t *testing.T) {
		s := newStore(t)
		want := core.ClientState{
			Servers: map[string]core.ServerRef{
				"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
				"[::1]:9922":           {TokenEnv: "HALOY_API_TOKEN__1_9922", CACert: "/etc/haloy ca/ca.pem"},
			},
			Tokens: map[string]string{
				"HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "00123",
				"HALOY_API_TOKEN__1_9922":              `a#b=c"d'e$HOME\f`,
			},
		}
		err := s.Update(ctx, func(st *core.ClientState) error {
			if diff := cmp.Diff(empty, *st); diff != "" {
				return fmt.Errorf("Update saw (-want +got):\n%s", diff)
			}
			*st = core.ClientState{Servers: want.Servers, Tokens: want.Tokens}
			return nil
		})
		if err != nil {
			t.Fatalf("Update() error: %v", err)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load() after Update mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("failed_update_writes_nothing", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "a.example.com", "HALOY_API_TOKEN_A_EXAMPLE_COM", "tok")
		before, _ := s.Load(ctx)
		sentinel := errors.New("sentinel")
		err := s.Update(ctx, func(st *core.ClientState) error {
			st.Servers["b.example.com"] = core.ServerRef{TokenEnv: "HALOY_API_TOKEN_B_EXAMPLE_COM"}
			st.Tokens["HALOY_API_TOKEN_B_EXAMPLE_COM"] = "tok2"
			delete(st.Tokens, "HALOY_API_TOKEN_A_EXAMPLE_COM")
			return sentinel
		})
		if err != sentinel {
			t.Errorf("Update() = %v, want the callback's error as is", err)
		}
		after, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("state changed by a failed Update (-want +got):\n%s", diff)
		}
	})

	t.Run("cancelled_context_writes_nothing", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		err := s.Update(cctx, func(st *core.ClientState) error {
			called = true
			st.Tokens["X"] = "y"
			return nil
		})
		if err == nil || called {
			t.Errorf("Update(cancelled) = %v, fn called %v; want an error and no call", err, called)
		}
		got, _ := s.Load(ctx)
		if diff := cmp.Diff(empty, got); diff != "" {
			t.Errorf("state after a cancelled Update (-want +got):\n%s", diff)
		}
	})

	t.Run("load_returns_a_copy", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "a.example.com", "HALOY_API_TOKEN_A_EXAMPLE_COM", "tok")
		got, _ := s.Load(ctx)
		got.Servers["evil.example.com"] = core.ServerRef{TokenEnv: "E"}
		got.Tokens["HALOY_API_TOKEN_A_EXAMPLE_COM"] = "changed"
		again, _ := s.Load(ctx)
		want := core.ClientState{Servers: map[string]core.ServerRef{"a.example.com": {TokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM"}}, Tokens: map[string]string{"HALOY_API_TOKEN_A_EXAMPLE_COM": "tok"}}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("Load() after mutating an earlier result (-want +got):\n%s", diff)
		}
	})

	t.Run("delete_keeps_other_entries", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "a.example.com", "HALOY_API_TOKEN_A_EXAMPLE_COM", "ta")
		seed(t, s, "b.example.com", "HALOY_API_TOKEN_B_EXAMPLE_COM", "tb")
		err := s.Update(ctx, func(st *core.ClientState) error {
			delete(st.Servers, "a.example.com")
			delete(st.Tokens, "HALOY_API_TOKEN_A_EXAMPLE_COM")
			return nil
		})
		if err != nil {
			t.Fatalf("Update() error: %v", err)
		}
		got, _ := s.Load(ctx)
		want := core.ClientState{Servers: map[string]core.ServerRef{"b.example.com": {TokenEnv: "HALOY_API_TOKEN_B_EXAMPLE_COM"}}, Tokens: map[string]string{"HALOY_API_TOKEN_B_EXAMPLE_COM": "tb"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load() after delete mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("concurrent_updates_lose_nothing", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Update(ctx, func(st *core.ClientState) error {
					name := fmt.Sprintf("s%02d.example.com", i)
					st.Servers[name] = core.ServerRef{TokenEnv: core.TokenEnv(name)}
					st.Tokens[core.TokenEnv(name)] = fmt.Sprintf("token-%d", i)
					return nil
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Update() error: %v", err)
			}
		}
		got, _ := s.Load(ctx)
		if len(got.Servers) != n || len(got.Tokens) != n {
			t.Errorf("after %d concurrent Updates: %d servers, %d tokens; want %d of each", n, len(got.Servers), len(got.Tokens), n)
		}
	})
}

func seed(t *testing.T, s ports.ClientStore, server, env, token string) {
	t.Helper()
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		st.Servers[server] = core.ServerRef{TokenEnv: env}
		st.Tokens[env] = token
		return nil
	})
	if err != nil {
		t.Fatalf("seed %s: %v", server, err)
	}
}
