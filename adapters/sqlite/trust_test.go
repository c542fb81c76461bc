package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sqlite"
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
	s := newStore(t, dir)
	createToken(t, s, "ci")
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE trust_policies; DROP TABLE oidc_used; PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = newStore(t, dir)
	if _, err := s.AddPolicy(ctx, core.TrustPolicy{Provider: core.TrustGitHub, Issuer: core.GitHubIssuer, Repository: "a/b",
		Apps: []string{"web"}, Scopes: []core.Scope{core.ScopeDeploy}, TTL: core.DefaultTrustTTL}); err != nil {
		t.Fatalf("AddPolicy after migrating from version 1: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "ci" {
		t.Errorf("List() after migrating = %v, %v; want the token kept", list, err)
	}
	assertUserVersion(t, dir, 2)
}
