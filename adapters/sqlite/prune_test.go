package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// Deployment records copy the token's id and name: pruning the token
// leaves them as they were, so that status still says who deployed.
func TestPruneKeepsDeployments(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	t0 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	ci, err := s.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken("haloy_prune_ci"), CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	rec := core.DeploymentRecord{Deployment: core.Deployment{ID: "d1", App: "web", Image: core.Image{Repository: "nginx", Tag: "1.27"}},
		TokenID: ci.ID, TokenName: ci.Name, ReceivedAt: t0.Add(time.Minute)}
	if err := s.Record(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil || len(got) != 1 || got[0].ID != ci.ID {
		t.Fatalf("Prune() = %+v, %v, want ci", got, err)
	}
	history, err := s.History(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]core.DeploymentRecord{rec}, history); diff != "" {
		t.Errorf("History() after pruning its token mismatch (-want +got):\n%s", diff)
	}
	if got, found, err := s.Find(ctx, "d1"); err != nil || !found || got.TokenID != ci.ID || got.TokenName != "ci" {
		t.Errorf("Find(d1) after pruning its token = %+v, %v, %v", got, found, err)
	}
}
