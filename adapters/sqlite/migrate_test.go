package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// schemaV0 is the schema haloyadm used before scopes, verbatim: names
// unique among all tokens, no scopes, apps or replaced_by, user_version 0.
const schemaV0 = `
CREATE TABLE IF NOT EXISTS tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT    NOT NULL UNIQUE,
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE TABLE IF NOT EXISTS deployments (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	deployment_id TEXT    NOT NULL UNIQUE,
	app           TEXT    NOT NULL,
	body          TEXT    NOT NULL,
	token_id      INTEGER NOT NULL,
	token_name    TEXT    NOT NULL,
	received_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deployments_by_app ON deployments (app, seq);
`

// makeV0 writes a database as today's haloyadm would leave it: three
// tokens (one revoked, with a gap in the ids) and one deployment.
func makeV0(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, sqlite.FileName)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	stmts := []string{schemaV0,
		`INSERT INTO tokens (id, name, hash, created_at, expires_at, last_used_at, revoked_at) VALUES
			(1, 'init', x'` + hexHash("init") + `', ` + itoa(t0) + `, NULL, ` + itoa(t0+1) + `, NULL),
			(3, 'ci', x'` + hexHash("ci") + `', ` + itoa(t0) + `, ` + itoa(t0+int64(90*24*time.Hour)) + `, NULL, NULL),
			(4, 'old', x'` + hexHash("old") + `', ` + itoa(t0) + `, NULL, NULL, ` + itoa(t0+2) + `)`,
		`INSERT INTO deployments (deployment_id, app, body, token_id, token_name, received_at) VALUES
			('d1', 'shop', '{"deployment_id":"d1","app":"shop","image":{"repository":"shop"}}', 3, 'ci', ` + itoa(t0) + `)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("make v0 database: %v", err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func hexHash(s string) string {
	h := core.HashAPIToken("haloy_" + s)
	return hex.EncodeToString(h[:])
}

func TestMigrateFromV0(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	makeV0(t, dir)
	s := newStore(t, dir)
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// every token keeps its id, times and today's meaning: all scopes, all apps
	want := []core.TokenRecord{
		{ID: 1, Name: "init", CreatedAt: t0, LastUsedAt: t0.Add(1)},
		{ID: 3, Name: "ci", CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)},
		{ID: 4, Name: "old", CreatedAt: t0, RevokedAt: t0.Add(2)},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List() after migration mismatch (-want +got):\n%s", diff)
	}
	for _, r := range list {
		if r.Grant.Scopes != nil || r.Grant.Apps != nil || !r.Grant.Allows(core.ScopeAdmin) {
			t.Errorf("migrated token %q grant = %+v, want every scope and app", r.Name, r.Grant)
		}
	}
	if rec, ok, err := s.Lookup(ctx, core.HashAPIToken("haloy_ci")); err != nil || !ok || rec.ID != 3 {
		t.Errorf("Lookup(ci) after migration = %v, %v, %v, want id 3", rec, ok, err)
	}
	hist, err := s.History(ctx, "shop")
	if err != nil || len(hist) != 1 || hist[0].TokenName != "ci" {
		t.Errorf("History(shop) after migration = %v, %v, want the one deployment", hist, err)
	}
	// ids go on after the highest one, and names stay unique
	if _, err := s.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken("x"), CreatedAt: t0}); err == nil {
		t.Error(`Create("ci") after migration succeeded, want a conflict`)
	}
	rec, err := s.Create(ctx, core.NewTokenRecord{Name: "new", Hash: core.HashAPIToken("y"), CreatedAt: t0,
		Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}, Apps: []string{"shop"}}})
	if err != nil || rec.ID != 5 {
		t.Errorf("Create(new) after migration = %v, %v, want id 5", rec, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// a second open finds the current schema and changes nothing
	s2 := newStore(t, dir)
	list2, err := s2.List(ctx)
	if err != nil || len(list2) != 4 || list2[3].Grant.Apps[0] != "shop" {
		t.Errorf("List() on reopening = %v, %v, want the 4 tokens", list2, err)
	}
	assertUserVersion(t, dir, 2)
}

func assertUserVersion(t *testing.T, dir string, want int) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != want {
		t.Errorf("user_version = %d, %v, want %d", v, err, want)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 7`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = newStore(t, dir).List(context.Background())
	wantErr := "token store \"" + filepath.Join(dir, sqlite.FileName) + "\" was made by a newer haloyadm"
	if ce, ok := err.(*core.Error); !ok || ce.Kind != core.Unsafe || ce.What != wantErr {
		t.Errorf("List() on a newer schema error = %v, want %q", err, wantErr)
	}
	assertUserVersion(t, dir, 7)
}
