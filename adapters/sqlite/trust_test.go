package sqlite_test

import (
	"context"
	"testing"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
)

func TestTrustContract(t *testing.T) {
	porttest.TrustStore(t, func(t *testing.T) porttest.TrustHandles {
		dir := t.TempDir()
		return porttest.TrustHandles{Store: newStore(t, dir), Other: newStore(t, dir)}
	})
}

// A version-1 database (scopes, no trust tables) gains the trust tables
// and keeps its tokens.
func TestMigrateV1AddsTrust(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	makeV1or2(t, dir, 1)
	s := newStore(t, dir)
	if _, err := s.AddPolicy(ctx, core.TrustPolicy{Provider: core.TrustGitHub, Issuer: core.GitHubIssuer, Repository: "a/b",
		Apps: []string{"web"}, Scopes: []core.Scope{core.ScopeDeploy}, TTL: core.DefaultTrustTTL}); err != nil {
		t.Fatalf("AddPolicy after migrating from version 1: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 4 || list[0].Name != "init" || list[2].Grant.Apps[0] != "shop" {
		t.Errorf("List() after migrating = %v, %v; want the tokens kept", list, err)
	}
	assertUserVersion(t, dir, 3)
}
