// Package sqlite keeps haloyadm's API tokens (as SHA-256 hashes only) and
// its record of deployments in one SQLite database in the data directory,
// through modernc.org/sqlite (pure Go, no cgo). The database runs in WAL
// mode, so that 'haloyadm api token' in one process and 'haloyadm serve' in
// another share it: a change made by one is seen by the other's next query.
package sqlite

import (
	"cmp"
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var (
	_ ports.TokenStore    = (*Store)(nil)
	_ ports.TokenVerifier = (*Store)(nil)
	_ ports.DeploymentLog = (*Store)(nil)
)

// FileName is the database's name in the data directory.
const FileName = "haloyadm.db"

// Store is the token store and deployment log. New does no I/O: the data
// directory is resolved, created (0700) and the database opened (0600) on
// first use. It is safe for concurrent use.
type Store struct {
	env ports.Env

	mu sync.Mutex
	db *sql.DB
	// closed is set by Close for good: a late caller (a stream's token
	// recheck, the last-use writer) gets errClosed instead of a database
	// opened again behind the owner's back
	closed bool
	// lookup is prepared once: parsing the query costs more than running it
	lookup *sql.Stmt
	path   string
	// cache keeps valid tokens found by Lookup while an inotify watch on
	// the data directory says nothing changed; nil until opened or when off
	cache   *tokenCache
	noCache bool
	// ident is the database file as opened; gone is set for good once the
	// path names another file, or none
	ident os.FileInfo
	gone  atomic.Bool
	// stats counts the stats of the database file (tests: the token
	// cache's watch makes them rare)
	stats atomic.Int64
	// keepPerApp is core.KeepDeploymentsPerApp (tests lower it)
	keepPerApp int
}

// New returns a Store in the directory named by $HALOY_DATA_DIR, or
// /var/lib/haloy.
func New(env ports.Env) *Store { return &Store{env: env} }

// Path returns the database file's path.
func (s *Store) Path() string {
	dir, ok := s.env.Lookup(core.ServerDataDirEnv)
	if !ok || dir == "" {
		dir = core.DefaultServerDataDir
	}
	home, _ := s.env.Lookup("HOME")
	return filepath.Join(core.ExpandHome(dir, home), FileName)
}

// errClosed is what every method returns after Close.
var errClosed = errors.New("token store: used after it was closed")

// Close closes the database, if it was opened. The Store cannot be used
// after it: every method returns an error, and nothing is opened again.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.db == nil {
		return nil
	}
	s.lookup.Close()
	s.lookup = nil
	err := s.db.Close()
	// after the database: closing the watch's descriptor on the -shm file
	// would drop SQLite's locks on it
	if s.cache != nil {
		s.cache.close()
		s.cache = nil
	}
	s.db = nil
	return err
}

// schemaVersion is the PRAGMA user_version of the current schema. 0 is the
// schema before scopes (names unique among all tokens, no scopes or apps);
// 1 adds each token's scopes and apps, and rotation: a rotated-away token
// keeps its record and name, marked replaced_by its successor, so names are
// unique only among current tokens. 2 adds the OIDC trust policies and the
// identity tokens already exchanged (trustSchema). 3 adds who made and who
// revoked each token (migrateV3); older rows read as unknown.
const schemaVersion = 3

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
`

// migrateV0 rebuilds a version-0 tokens table (SQLite cannot drop a UNIQUE
// constraint in place), keeping every row and id. Its tokens keep today's
// meaning: NULL scopes and apps, every scope and every app.
const migrateV0 = `
ALTER TABLE tokens RENAME TO tokens_v0;
` + tokensV1 + `
INSERT INTO tokens (id, name, hash, created_at, expires_at, last_used_at, revoked_at)
	SELECT id, name, hash, created_at, expires_at, last_used_at, revoked_at FROM tokens_v0 ORDER BY id;
DROP TABLE tokens_v0;
`

// migrateV3 adds the actors of a token's creation and revocation: NULL,
// shown as core.UnknownActor, for the tokens made before.
const migrateV3 = `
ALTER TABLE tokens ADD COLUMN created_by TEXT;
ALTER TABLE tokens ADD COLUMN revoked_by TEXT;
`

const deploymentsSchema = `
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

// firstRead reads the schema version on a new connection, whose set-up
// turns on WAL. While another process makes a new database or switches its
// journal mode, SQLite can answer SQLITE_BUSY at once, without calling the
// busy handler (busy_timeout): the read is then tried again, every 20 ms,
// for as long as the busy timeout would have waited.
func firstRead(ctx context.Context, db *sql.DB) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v int
		err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return 0, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// migrate brings the database to schemaVersion: it creates the tables of a
// new database, or migrates an older one in place, in one transaction
// (BEGIN IMMEDIATE: two processes opening at once migrate once). A
// database made by a newer haloyadm is refused, not altered.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	v, err := firstRead(ctx, db)
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", path, err)
	}
	if v == schemaVersion {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version of %s: %w", path, err)
	}
	switch {
	case v == schemaVersion: // another process migrated meanwhile
		return nil
	case v > schemaVersion:
		return &core.Error{Kind: core.Unsafe, What: "token store " + strconv.Quote(path) + " was made by a newer haloyadm",
			Why: fmt.Sprintf("its schema version is %d; this haloyadm knows versions up to %d", v, schemaVersion),
			Fix: "run the haloyadm that made it, or upgrade this one"}
	}
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tokens'`).Scan(&tables); err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	var step string
	switch {
	case tables == 0:
		step = tokensV1 + migrateV3
	case v == 0:
		step = migrateV0 + migrateV3
	default: // versions 1 and 2 have version 1's tokens table
		step = migrateV3
	}
	if _, err := tx.ExecContext(ctx, step+deploymentsSchema+trustSchema+fmt.Sprintf("PRAGMA user_version = %d;", schemaVersion)); err != nil {
		return fmt.Errorf("migrate %s to schema version %d: %w", path, schemaVersion, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s to schema version %d: %w", path, schemaVersion, err)
	}
	return nil
}

// open returns the database, opening it on first use.
func (s *Store) open(ctx context.Context) (*sql.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		return s.db, nil
	}
	if s.closed {
		return nil, errClosed
	}
	path := s.Path()
	if strings.ContainsAny(path, "?#") {
		return nil, &core.Error{Kind: core.Invalid, What: "invalid data directory " + strconv.Quote(filepath.Dir(path)),
			Why: "its path contains '?' or '#'", Fix: "set " + core.ServerDataDirEnv + " to a plain path"}
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	keepReserve(path) // before the watch: making it is not a change
	// watch before the first read, so that no change after it goes unseen;
	// without inotify every lookup queries the database
	var w watch
	if !s.noCache {
		w, _ = newWatch(filepath.Dir(path), path+"-shm")
	}
	// synchronous FULL: a revoke must survive a power cut, and writes are rare
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open token store %s: %w", path, err)
	}
	if err := migrate(ctx, db, path); err != nil {
		db.Close()
		closeWatch(w)
		return nil, err
	}
	// the WAL and SHM files now exist: check them too
	if err := checkModes(path); err != nil {
		db.Close()
		closeWatch(w)
		return nil, err
	}
	lookup, err := db.PrepareContext(ctx, lookupSQL)
	if err != nil {
		db.Close()
		closeWatch(w)
		return nil, fmt.Errorf("prepare token lookup in %s: %w", path, err)
	}
	ident, err := os.Stat(path)
	if err != nil {
		lookup.Close()
		db.Close()
		closeWatch(w)
		return nil, fmt.Errorf("stat token store %s: %w", path, err)
	}
	s.db, s.path, s.lookup, s.cache, s.ident = db, path, lookup, newTokenCache(w), ident
	return db, nil
}

// prepareFile creates the data directory (0700) and an empty database file
// (0600) if missing, and refuses a database that other users can read.
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); errors.Is(err, syscall.ENOTDIR) {
		return core.NotADirectory("haloyadm's data directory", dir, core.ServerDataDirEnv)
	} else if err != nil {
		return &core.Error{Kind: core.Unavailable, What: "cannot create data directory " + strconv.Quote(dir),
			Why: errText(err), Fix: "run haloyadm as root (sudo), or set " + core.ServerDataDirEnv + " to a directory you own", Err: err}
	}
	if err := checkDataDir(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return &core.Error{Kind: core.Unavailable, What: "cannot create token store " + strconv.Quote(path),
			Why: errText(err), Fix: "run haloyadm as root (sudo), or set " + core.ServerDataDirEnv + " to a directory you own", Err: err}
	}
	return checkModes(path)
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// nullTime stores t as Unix nanoseconds, and the zero time as NULL.
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

const tokenCols = `id, name, created_at, expires_at, last_used_at, revoked_at, scopes, apps, replaced_by, created_by, revoked_by`

// lookupSQL finds a token by hash and returns exactly one row either way:
// no such token is a row of zeros and NULLs, scanned like a found one, so
// that an unknown token costs what a revoked or expired one does.
var lookupSQL = func() string {
	zero := map[string]string{"id": "0", "name": "''", "created_at": "0"}
	var cols []string
	for _, c := range strings.Split(tokenCols, ", ") {
		if z, ok := zero[c]; ok {
			cols = append(cols, "COALESCE(t."+c+", "+z+")")
		} else {
			cols = append(cols, "t."+c)
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + ", COALESCE(t.hash, x'') FROM (SELECT ? AS h) AS q LEFT JOIN tokens AS t ON t.hash = q.h"
}()

type scanner interface{ Scan(dest ...any) error }

func scanToken(r scanner, extra ...any) (core.TokenRecord, error) {
	var (
		t                                      core.TokenRecord
		created                                int64
		expires, lastUsed, revoked, replacedBy sql.NullInt64
		scopes, apps, createdBy, revokedBy     sql.NullString
	)
	dest := append([]any{&t.ID, &t.Name, &created, &expires, &lastUsed, &revoked, &scopes, &apps, &replacedBy, &createdBy, &revokedBy}, extra...)
	if err := r.Scan(dest...); err != nil {
		return core.TokenRecord{}, err
	}
	t.CreatedAt = time.Unix(0, created).UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromNull(expires), fromNull(lastUsed), fromNull(revoked)
	t.ReplacedBy = replacedBy.Int64
	t.CreatedBy, t.RevokedBy = createdBy.String, revokedBy.String
	if scopes.Valid {
		t.Grant.Scopes = []core.Scope{}
		for _, s := range splitList(scopes.String) {
			t.Grant.Scopes = append(t.Grant.Scopes, core.Scope(s))
		}
	}
	if apps.Valid {
		t.Grant.Apps = splitList(apps.String)
	}
	return t, nil
}

// splitList reads a stored comma-separated list; "" is the empty list.
func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// grantCols returns the stored forms of g's scopes and apps: NULL for
// "every", else a comma-separated list (scopes and app names hold no commas).
func grantCols(g core.TokenGrant) (scopes, apps sql.NullString) {
	if g.Scopes != nil {
		s := make([]string, len(g.Scopes))
		for i, x := range g.Scopes {
			s[i] = string(x)
		}
		scopes = sql.NullString{String: strings.Join(s, ","), Valid: true}
	}
	if g.Apps != nil {
		apps = sql.NullString{String: strings.Join(g.Apps, ","), Valid: true}
	}
	return scopes, apps
}

func isUnique(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Create records a new token.
func (s *Store) Create(ctx context.Context, t core.NewTokenRecord) (core.TokenRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TokenRecord{}, err
	}
	scopes, apps := grantCols(t.Grant)
	row := db.QueryRowContext(ctx, `INSERT INTO tokens (name, hash, created_at, expires_at, scopes, apps, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+tokenCols,
		t.Name, t.Hash[:], t.CreatedAt.UnixNano(), nullTime(t.ExpiresAt), scopes, apps, nullString(t.CreatedBy))
	rec, err := scanToken(row)
	if isUnique(err) {
		if strings.Contains(err.Error(), "tokens.hash") {
			return core.TokenRecord{}, &core.Error{Kind: core.Conflict, What: "a token with this hash already exists",
				Why: "two tokens drew the same random bytes, which should never happen", Fix: "run the command again"}
		}
		return core.TokenRecord{}, core.TokenNameTaken(t.Name)
	}
	if err != nil {
		return core.TokenRecord{}, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	return rec, nil
}

// List returns every token, oldest first.
func (s *Store) List(ctx context.Context) ([]core.TokenRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []core.TokenRecord{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Revoke marks the token with id or name ref as revoked by by. A name
// revokes its current token and the tokens it replaced that are still in
// their grace period: revoking a name leaves no token of that name working.
func (s *Store) Revoke(ctx context.Context, ref string, at time.Time, by string) (core.TokenRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TokenRecord{}, err
	}
	where, arg := "name = ?", any(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		where, arg = "id = ?", id
	}
	t, found, err := revokeRows(ctx, db, where, arg, at, by)
	if isFull(err) && releaseReserve(s.Path()) {
		// a full disk: the reserve's space is for exactly this
		t, found, err = revokeRows(ctx, db, where, arg, at, by)
	}
	// the watch sees this write too; this is for a store whose watch is off
	s.invalidate()
	if err != nil {
		return core.TokenRecord{}, fmt.Errorf("revoke token %q: %w", ref, err)
	}
	if !found {
		list, lerr := s.List(ctx)
		if lerr != nil {
			return core.TokenRecord{}, lerr
		}
		return core.TokenRecord{}, core.UnknownToken(ref, list)
	}
	return t, nil
}

// Rotate replaces the current token id with a successor of the same name
// and grant, in one transaction.
func (s *Store) Rotate(ctx context.Context, id int64, succ core.NewTokenRecord, graceUntil time.Time) (core.TokenRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TokenRecord{}, err
	}
	defer s.invalidate()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	old, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return core.TokenRecord{}, core.UnknownToken(strconv.FormatInt(id, 10), nil)
	}
	if err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	if err := core.CheckRotatable(old, succ.CreatedAt); err != nil {
		return core.TokenRecord{}, err
	}
	// the old token leaves the name's unique index before its successor
	// takes the name; replaced_by gets the successor's id below
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET replaced_by = 0 WHERE id = ?`, id); err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	scopes, apps := grantCols(old.Grant)
	rec, err := scanToken(tx.QueryRowContext(ctx, `INSERT INTO tokens (name, hash, created_at, expires_at, scopes, apps, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+tokenCols,
		old.Name, succ.Hash[:], succ.CreatedAt.UnixNano(), nullTime(succ.ExpiresAt), scopes, apps, nullString(succ.CreatedBy)))
	if isUnique(err) {
		return core.TokenRecord{}, &core.Error{Kind: core.Conflict, What: "a token with this hash already exists",
			Why: "two tokens drew the same random bytes, which should never happen", Fix: "run the command again"}
	}
	if err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	grace := graceUntil.UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET replaced_by = ?, expires_at = CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END WHERE id = ?`,
		rec.ID, grace, grace, id); err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return core.TokenRecord{}, fmt.Errorf("rotate token %d: %w", id, err)
	}
	return rec, nil
}

// Prune deletes the tokens that ended before endedBefore, in one
// statement. A full disk is an error: the reserve (reserve.go) is kept for
// a revoke, and deleting rows frees no space on the disk anyway (SQLite
// keeps the freed pages in the file).
func (s *Store) Prune(ctx context.Context, endedBefore time.Time) ([]core.TokenRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	recs, err := pruneRows(ctx, db, endedBefore)
	// the watch sees this write too; this is for a store whose watch is off
	s.invalidate()
	if isFull(err) {
		return nil, &core.Error{Kind: core.Unavailable, What: "cannot prune tokens: the disk holding " + strconv.Quote(s.Path()) + " is full",
			Why: "pruning writes to the database before it frees anything; the space kept in reserve is for revoking tokens",
			Fix: "free space on that disk (df -h " + filepath.Dir(s.Path()) + "), then run the command again", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("prune tokens: %w", err)
	}
	return recs, nil
}

// pruneRows deletes the tokens revoked or expired before cut and returns
// them, oldest first. NULL compares as unknown: a token with neither time
// is never matched.
func pruneRows(ctx context.Context, db *sql.DB, cut time.Time) ([]core.TokenRecord, error) {
	c := cut.UnixNano()
	rows, err := db.QueryContext(ctx, `DELETE FROM tokens WHERE revoked_at < ? OR expires_at < ? RETURNING `+tokenCols, c, c)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.TokenRecord{}
	for rows.Next() {
		r, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// the statement commits when its rows close: a full disk shows here
	if err := rows.Close(); err != nil {
		return nil, err
	}
	// RETURNING gives no order
	slices.SortFunc(out, func(a, b core.TokenRecord) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Lookup finds a token by its hash, with one index search.
func (s *Store) Lookup(ctx context.Context, h core.TokenHash) (core.TokenRecord, bool, error) {
	if _, err := s.open(ctx); err != nil {
		return core.TokenRecord{}, false, err
	}
	s.mu.Lock()
	stmt, cache, path, ident := s.lookup, s.cache, s.path, s.ident
	s.mu.Unlock()
	if stmt == nil { // closed meanwhile
		return core.TokenRecord{}, false, errors.New("look up token: store closed")
	}
	now := time.Now()
	rec, ok, gen, fc := cache.get(h, now)
	// the drain in get came first: a removal or rename it reported is seen
	// by this stat
	if fc.needed || s.gone.Load() {
		if err := s.stillThere(path, ident); err != nil {
			return core.TokenRecord{}, false, err
		}
		cache.checked(fc)
	}
	// an expired token is looked up in the database like an unknown or a
	// revoked one: a cache hit would answer it measurably faster, and tell
	// a guesser which failure it was (docs/server.md)
	if ok && live(rec, now) {
		return rec, true, nil
	}
	var stored []byte
	// a copy: the driver keeps the argument, which would move h to the
	// heap on every call, cache hits included
	arg := h
	t, err := scanToken(stmt.QueryRowContext(ctx, arg[:]), &stored)
	if err != nil {
		return core.TokenRecord{}, false, fmt.Errorf("look up token: %w", err)
	}
	// the index already matched; this guards against a collation surprise
	if subtle.ConstantTimeCompare(stored, h[:]) != 1 || t.ID == 0 {
		return core.TokenRecord{}, false, nil
	}
	// only tokens found, not revoked and not expired are kept; expiry is
	// checked by the caller on every request too, with its own clock
	if live(t, now) {
		cache.put(h, t, gen)
	}
	return t, true, nil
}

func (s *Store) keep() int {
	if s.keepPerApp > 0 {
		return s.keepPerApp
	}
	return core.KeepDeploymentsPerApp
}

// revokeRows marks the tokens matching where as revoked at at by by and returns
// the current one of them (else the newest), and whether there was one.
func revokeRows(ctx context.Context, db *sql.DB, where string, arg any, at time.Time, by string) (core.TokenRecord, bool, error) {
	// SET reads the row as it was: the first revocation's actor stays
	rows, err := db.QueryContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?), revoked_by = CASE WHEN revoked_at IS NULL THEN ? ELSE revoked_by END WHERE `+where+` RETURNING `+tokenCols,
		at.UnixNano(), nullString(by), arg)
	if err != nil {
		return core.TokenRecord{}, false, err
	}
	defer rows.Close()
	var (
		t     core.TokenRecord
		found bool
	)
	for rows.Next() {
		r, err := scanToken(rows)
		if err != nil {
			return core.TokenRecord{}, false, err
		}
		// the current token of the name, else the newest
		if !found || t.ReplacedBy != 0 && (r.ReplacedBy == 0 || r.ID > t.ID) {
			t, found = r, true
		}
	}
	if err := rows.Err(); err != nil {
		return core.TokenRecord{}, false, err
	}
	// the statement commits when its rows close: a full disk shows here
	if err := rows.Close(); err != nil {
		return core.TokenRecord{}, false, err
	}
	return t, found, nil
}

// stillThere returns an error wrapping ports.ErrStoreGone, now and on
// every later call, once path no longer names the file the store opened
// (deleted, or replaced by a restore or a rename). Pooled connections keep
// the old file and new ones would open the new one: the server would split
// in two, so it must refuse every token instead. Lookup calls it after an
// event in the data directory, at least once a second, and on every
// lookup when the token cache is off (tokenCache).
func (s *Store) stillThere(path string, ident os.FileInfo) error {
	if !s.gone.Load() {
		s.stats.Add(1)
		fi, err := os.Stat(path)
		if err == nil && os.SameFile(fi, ident) {
			return nil
		}
		s.gone.Store(true)
	}
	return &core.Error{Kind: core.Unavailable, What: "the token store " + strconv.Quote(path) + " was removed or replaced while in use",
		Why: "requests would be checked against two different databases, so every token is refused",
		Fix: "put the right database in place, then restart haloyadm serve (systemd's Restart=on-failure does it)",
		Err: ports.ErrStoreGone}
}

// live reports whether rec is neither revoked nor expired at now: only
// those are answered from the cache.
func live(rec core.TokenRecord, now time.Time) bool {
	return rec.RevokedAt.IsZero() && (rec.ExpiresAt.IsZero() || now.Before(rec.ExpiresAt))
}

// invalidate empties the token cache after a write through this store.
func (s *Store) invalidate() {
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	if c != nil {
		c.invalidate()
	}
}

// Touch records a use of token id, at most once per core.TouchInterval.
func (s *Store) Touch(ctx context.Context, id int64, at time.Time) error {
	db, err := s.open(ctx)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
		at.UnixNano(), id, at.Add(-core.TouchInterval).UnixNano())
	s.invalidate()
	if err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// Record stores an accepted deployment.
func (s *Store) Record(ctx context.Context, rec core.DeploymentRecord) error {
	db, err := s.open(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(rec.Deployment)
	if err != nil {
		return fmt.Errorf("encode deployment %q: %w", rec.ID, err)
	}
	if len(body) > core.MaxDeploymentRecordBytes {
		return core.DeploymentTooLarge(rec.ID, len(body))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record deployment %q: %w", rec.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	_, err = tx.ExecContext(ctx, `INSERT INTO deployments (deployment_id, app, body, token_id, token_name, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.ID, rec.App, string(body), rec.TokenID, rec.TokenName, rec.ReceivedAt.UnixNano())
	if isUnique(err) {
		return core.DuplicateDeployment(rec.ID)
	}
	if err != nil {
		return fmt.Errorf("record deployment %q: %w", rec.ID, err)
	}
	// retention: the app's newest records only
	if _, err := tx.ExecContext(ctx, `DELETE FROM deployments WHERE app = ? AND seq <= (SELECT seq FROM deployments WHERE app = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
		rec.App, rec.App, s.keep()); err != nil {
		return fmt.Errorf("record deployment %q: %w", rec.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record deployment %q: %w", rec.ID, err)
	}
	return nil
}

// History returns app's deployments, newest first.
func (s *Store) History(ctx context.Context, app string) ([]core.DeploymentRecord, error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT body, token_id, token_name, received_at FROM deployments WHERE app = ? ORDER BY seq DESC`, app)
	if err != nil {
		return nil, fmt.Errorf("read deployments of %q: %w", app, err)
	}
	defer rows.Close()
	out := []core.DeploymentRecord{}
	for rows.Next() {
		var (
			body     string
			rec      core.DeploymentRecord
			received int64
		)
		if err := rows.Scan(&body, &rec.TokenID, &rec.TokenName, &received); err != nil {
			return nil, fmt.Errorf("read deployments of %q: %w", app, err)
		}
		if err := json.Unmarshal([]byte(body), &rec.Deployment); err != nil {
			return nil, fmt.Errorf("decode deployment of %q: %w", app, err)
		}
		rec.ReceivedAt = time.Unix(0, received).UTC()
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deployments of %q: %w", app, err)
	}
	return out, nil
}

// Find returns the deployment with id, and false if none is recorded.
func (s *Store) Find(ctx context.Context, id string) (core.DeploymentRecord, bool, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.DeploymentRecord{}, false, err
	}
	var (
		body     string
		rec      core.DeploymentRecord
		received int64
	)
	err = db.QueryRowContext(ctx, `SELECT body, token_id, token_name, received_at FROM deployments WHERE deployment_id = ?`, id).
		Scan(&body, &rec.TokenID, &rec.TokenName, &received)
	if errors.Is(err, sql.ErrNoRows) {
		return core.DeploymentRecord{}, false, nil
	}
	if err != nil {
		return core.DeploymentRecord{}, false, fmt.Errorf("read deployment %q: %w", id, err)
	}
	if err := json.Unmarshal([]byte(body), &rec.Deployment); err != nil {
		return core.DeploymentRecord{}, false, fmt.Errorf("decode deployment %q: %w", id, err)
	}
	rec.ReceivedAt = time.Unix(0, received).UTC()
	return rec, true, nil
}
