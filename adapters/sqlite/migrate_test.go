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
	assertUserVersion(t, dir, 3)
}

// tokensV1 and trustV2 are the tables of schema versions 1 and 2,
// verbatim: scopes, apps and rotation (1), then the OIDC trust tables (2).
const tokensV1 = `
CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER,
	scopes       TEXT,
	apps         TEXT,
	replaced_by  INTEGER
);
CREATE UNIQUE INDEX tokens_current_name ON tokens (name) WHERE replaced_by IS NULL;
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

const trustV2 = `
CREATE TABLE IF NOT EXISTS trust_policies (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	body          TEXT    NOT NULL,
	repository_id TEXT,
	owner_id      TEXT,
	created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_used (
	key   BLOB    PRIMARY KEY,
	until INTEGER NOT NULL
) WITHOUT ROWID;
`

// makeV1or2 writes a database of schema version 1 (without the trust
// tables) or 2, as those haloyadm versions left it: an unrestricted token,
// a scoped one rotated into a successor, and a revoked one.
func makeV1or2(t *testing.T, dir string, version int) {
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
	schema := tokensV1
	if version == 2 {
		schema += trustV2
	}
	stmts := []string{schema, `PRAGMA user_version = ` + itoa(int64(version)),
		`INSERT INTO tokens (id, name, hash, created_at, expires_at, last_used_at, revoked_at, scopes, apps, replaced_by) VALUES
			(1, 'init', x'` + hexHash("init") + `', ` + itoa(t0) + `, NULL, NULL, NULL, NULL, NULL, NULL),
			(2, 'ci', x'` + hexHash("ci") + `', ` + itoa(t0) + `, ` + itoa(t0+10) + `, NULL, NULL, 'deploy', 'shop', 3),
			(3, 'ci', x'` + hexHash("ci-2") + `', ` + itoa(t0+1) + `, NULL, NULL, NULL, 'deploy', 'shop', NULL),
			(4, 'old', x'` + hexHash("old") + `', ` + itoa(t0) + `, NULL, NULL, ` + itoa(t0+2) + `, 'read', NULL, NULL)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("make v%d database: %v", version, err)
		}
	}
}

// A version-2 database gains who made and who revoked each token: its rows
// survive, with both unknown, and new changes record them.
func TestMigrateV2AddsActors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	makeV1or2(t, dir, 2)
	s := newStore(t, dir)
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	shop := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"shop"}}
	want := []core.TokenRecord{
		{ID: 1, Name: "init", CreatedAt: t0},
		{ID: 2, Name: "ci", CreatedAt: t0, ExpiresAt: t0.Add(10), Grant: shop, ReplacedBy: 3},
		{ID: 3, Name: "ci", CreatedAt: t0.Add(1), Grant: shop},
		{ID: 4, Name: "old", CreatedAt: t0, RevokedAt: t0.Add(2), Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeRead}}},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List() after migration mismatch (-want +got):\n%s", diff)
	}
	// shown honestly: nobody recorded who made or revoked them
	if info := list[3].Info(t0); info.CreatedBy != "unknown" || info.RevokedBy != "unknown" {
		t.Errorf("Info() of a migrated revoked token = created by %q, revoked by %q, want unknown for both", info.CreatedBy, info.RevokedBy)
	}
	// an old revocation keeps its unknown actor; a new one records its own
	if rec, err := s.Revoke(ctx, "old", t0.Add(time.Hour), "haloyadm (root)"); err != nil || rec.RevokedBy != "" {
		t.Errorf("Revoke(old) again = %+v, %v, want the first, unknown, actor kept", rec, err)
	}
	if rec, err := s.Revoke(ctx, "ci", t0.Add(time.Hour), "haloyadm (root)"); err != nil || rec.RevokedBy != "haloyadm (root)" || rec.ID != 3 {
		t.Errorf("Revoke(ci) = %+v, %v, want id 3 revoked by haloyadm (root)", rec, err)
	}
	rec, err := s.Create(ctx, core.NewTokenRecord{Name: "new", Hash: core.HashAPIToken("y"), CreatedAt: t0, CreatedBy: `token "ops" (id 1)`})
	if err != nil || rec.ID != 5 || rec.CreatedBy != `token "ops" (id 1)` {
		t.Errorf("Create(new) after migration = %+v, %v, want id 5 created by ops", rec, err)
	}
	if got, ok, err := s.Lookup(ctx, core.HashAPIToken("haloy_init")); err != nil || !ok || got.ID != 1 || got.CreatedBy != "" {
		t.Errorf("Lookup(init) after migration = %+v, %v, %v", got, ok, err)
	}
	s.Close()
	assertUserVersion(t, dir, 3)
	// a second open finds the current schema and changes nothing
	list2, err := newStore(t, dir).List(ctx)
	if err != nil || len(list2) != 5 || list2[2].RevokedBy != "haloyadm (root)" || list2[4].CreatedBy != `token "ops" (id 1)` {
		t.Errorf("List() on reopening = %+v, %v, want the 5 tokens and their actors", list2, err)
	}
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
