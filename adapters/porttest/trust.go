package porttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TrustHandles are two stores on the same data, as 'haloyadm trust' and a
// running 'haloyadm serve' would hold.
type TrustHandles struct {
	Store, Other ports.TrustStore
}

func samplePolicy() core.TrustPolicy {
	return core.TrustPolicy{Provider: core.TrustGitHub, Issuer: core.GitHubIssuer, Repository: "acme/web",
		Ref: "refs/heads/main", Environment: "production", Workflow: ".github/workflows/deploy.yml",
		Claims: map[string]string{"event_name": "push"}, Apps: []string{"api", "web"},
		Scopes: []core.Scope{core.ScopeDeploy}, TTL: 15 * time.Minute}
}

// TrustStore runs the contract of ports.TrustStore against fresh stores.
func TrustStore(t *testing.T, open func(t *testing.T) TrustHandles) {
	ctx := context.Background()
	ignore := cmpopts.IgnoreFields(core.TrustPolicy{}, "ID", "CreatedAt")
	t.Run("add_list_remove_across_stores", func(t *testing.T) {
		h := open(t)
		want := samplePolicy()
		got, err := h.Store.AddPolicy(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 0 || got.CreatedAt.IsZero() {
			t.Errorf("AddPolicy() = id %d, created %v; want both set", got.ID, got.CreatedAt)
		}
		if diff := cmp.Diff(want, got, ignore); diff != "" {
			t.Errorf("AddPolicy() mismatch (-want +got):\n%s", diff)
		}
		second := samplePolicy()
		second.Provider, second.Issuer, second.Workflow, second.RepositoryID = core.TrustGitLab, "https://gitlab.example.com", "", "12"
		if _, err := h.Store.AddPolicy(ctx, second); err != nil {
			t.Fatal(err)
		}
		list, err := h.Other.Policies(ctx) // a policy added elsewhere is seen at once
		if err != nil || len(list) != 2 {
			t.Fatalf("Policies() = %v, %v; want 2", list, err)
		}
		if diff := cmp.Diff([]core.TrustPolicy{want, second}, list, ignore); diff != "" {
			t.Errorf("Policies() mismatch (-want +got):\n%s", diff)
		}
		removed, err := h.Other.RemovePolicy(ctx, got.ID)
		if err != nil || removed.ID != got.ID {
			t.Fatalf("RemovePolicy(%d) = %v, %v", got.ID, removed.ID, err)
		}
		list, _ = h.Store.Policies(ctx)
		if len(list) != 1 || list[0].Provider != core.TrustGitLab {
			t.Errorf("Policies() after remove = %v, want the GitLab policy only", list)
		}
		_, err = h.Store.RemovePolicy(ctx, got.ID)
		wantKind(t, "RemovePolicy(removed)", err, core.NotFound)
	})
	t.Run("pin_once", func(t *testing.T) {
		h := open(t)
		p, _ := h.Store.AddPolicy(ctx, samplePolicy())
		got, err := h.Store.PinPolicy(ctx, p.ID, "4242", "77")
		if err != nil || got.RepositoryID != "4242" || got.OwnerID != "77" {
			t.Fatalf("PinPolicy() = %+v, %v; want 4242 and 77", got, err)
		}
		// a pinned id is never changed: a re-created repository cannot re-pin
		got, err = h.Other.PinPolicy(ctx, p.ID, "5000", "78")
		if err != nil || got.RepositoryID != "4242" || got.OwnerID != "77" {
			t.Errorf("PinPolicy() again = %+v, %v; want the first pins kept", got, err)
		}
		_, err = h.Store.PinPolicy(ctx, p.ID+100, "1", "1")
		wantKind(t, "PinPolicy(unknown)", err, core.NotFound)
	})
	t.Run("use_once", func(t *testing.T) {
		h := open(t)
		now := time.Now()
		until := now.Add(10 * time.Minute)
		if ok, err := h.Store.UseOnce(ctx, "https://a", "j1", until, now); !ok || err != nil {
			t.Fatalf("UseOnce first = %v, %v; want true", ok, err)
		}
		if ok, err := h.Other.UseOnce(ctx, "https://a", "j1", until, now); ok || err != nil {
			t.Errorf("UseOnce replay (other store) = %v, %v; want false", ok, err)
		}
		if ok, _ := h.Store.UseOnce(ctx, "https://b", "j1", until, now); !ok {
			t.Errorf("UseOnce of the same jti from another issuer = false, want true")
		}
		// after its time the entry is forgotten (the token is refused by age)
		if ok, _ := h.Store.UseOnce(ctx, "https://a", "j1", until.Add(time.Hour), until); !ok {
			t.Errorf("UseOnce after the remembered time = false, want true")
		}
	})
	t.Run("use_once_concurrent", func(t *testing.T) {
		h := open(t)
		now := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := h.Store
				if i%2 == 1 {
					s = h.Other
				}
				ok, err := s.UseOnce(ctx, "https://a", "race", now.Add(time.Minute), now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("UseOnce of one jti from 8 goroutines succeeded %d times, want 1", wins)
		}
	})
}
