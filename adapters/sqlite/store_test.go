package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// newStore returns a store in a fresh data directory, closed at the end of the test.
func newStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: dir})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

func TestTokensContract(t *testing.T) {
	porttest.TokenStore(t, func(t *testing.T) porttest.TokenHandles {
		dir := t.TempDir()
		a, b := newStore(t, dir), newStore(t, dir)
		return porttest.TokenHandles{Store: a, Verifier: a, OtherStore: b, OtherVerifier: b}
	})
}

func TestDeploymentsContract(t *testing.T) {
	porttest.DeploymentLog(t, func(t *testing.T) ports.DeploymentLog { return newStore(t, t.TempDir()) })
}

func createToken(t *testing.T, s *sqlite.Store, name string) (string, core.TokenRecord) {
	t.Helper()
	var b [core.APITokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	tok := core.FormatAPIToken(b)
	rec, err := s.Create(context.Background(), core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: time.Now()})
	if err != nil {
		t.Fatalf("Create(%q) error = %v", name, err)
	}
	return tok, rec
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := newStore(t, dir)
	createToken(t, s, "a")
	want := map[string]os.FileMode{
		dir:               0o700 | os.ModeDir,
		s.Path():          0o600,
		s.Path() + "-wal": 0o600,
		s.Path() + "-shm": 0o600,
	}
	got := map[string]os.FileMode{}
	for p := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		got[p] = fi.Mode()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modes mismatch (-want +got):\n%s", diff)
	}
}

// A copy of the database (with its WAL and SHM) must give no working token.
func TestHashOnlyStorage(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	var toks []string
	for i := range 20 {
		tok, _ := createToken(t, s, fmt.Sprintf("t%d", i))
		toks = append(toks, tok)
	}
	if _, err := s.Revoke(context.Background(), "t3", time.Now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(s.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte("t19")) {
		t.Fatalf("the files do not contain the name t19: the test reads the wrong files")
	}
	for _, tok := range toks {
		secret := strings.TrimPrefix(tok, core.APITokenPrefix)
		if bytes.Contains(raw, []byte(secret[:16])) {
			t.Errorf("the database files contain token text %q...", secret[:4])
		}
		b, _ := base64.RawURLEncoding.DecodeString(secret)
		if bytes.Contains(raw, b[:16]) {
			t.Errorf("the database files contain a token's random bytes")
		}
	}
	if bytes.Contains(raw, []byte(core.APITokenPrefix)) {
		t.Errorf("the database files contain %q", core.APITokenPrefix)
	}
}

func TestLooseModeRefused(t *testing.T) {
	for _, suffix := range []string{"", "-wal"} {
		t.Run("file"+suffix, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir)
			createToken(t, s, "a")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// a checkpoint on close may remove the WAL; make sure it is there
			if f, err := os.OpenFile(s.Path()+suffix, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
				f.Close()
			}
			if err := os.Chmod(s.Path()+suffix, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := newStore(t, dir).List(context.Background())
			var ce *core.Error
			if !errors.As(err, &ce) {
				t.Fatalf("List() with a 0644 store = %v, want a *core.Error", err)
			}
			want := core.Error{Kind: core.Unsafe,
				What: "token store " + strconv.Quote(s.Path()+suffix) + " is accessible to other users",
				Why:  "its mode is 0644; token hashes and deployment records are for the owner only",
				Fix:  "chmod 600 " + s.Path() + "*"}
			if diff := cmp.Diff(want, *ce); diff != "" {
				t.Errorf("List() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Checking a request costs one index search whatever the number of tokens.
func TestTenThousandTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store with 10,000 tokens")
	}
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	const n = 10000
	var toks []string
	// the first and last ten go through the adapter; the 9,980 between are
	// loaded by one statement with random hashes, which keeps the test
	// quick under the race detector
	for i := range 10 {
		tok, _ := createToken(t, s, fmt.Sprintf("t%05d", i))
		toks = append(toks, tok)
	}
	db, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = db.Exec(`INSERT INTO tokens (name, hash, created_at)
		WITH RECURSIVE seq(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		SELECT printf('t%05d', i), randomblob(32), ? FROM seq`, n-11, start.UnixNano())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := n - 10; i < n; i++ {
		tok, _ := createToken(t, s, fmt.Sprintf("t%05d", i))
		toks = append(toks, tok)
	}
	t.Logf("filled the store with %d tokens in %v", n, time.Since(start))
	list, err := s.List(ctx)
	if err != nil || len(list) != n {
		t.Fatalf("List() = %d tokens, %v, want %d", len(list), err, n)
	}
	start = time.Now()
	for i, name := range map[int]string{0: "t00000", 9: "t00009", 10: "t09990", 19: "t09999"} {
		rec, ok, err := s.Lookup(ctx, core.HashAPIToken(toks[i]))
		if err != nil || !ok || rec.Name != name {
			t.Errorf("Lookup(token %s) = %v, %v, %v, want found", name, rec.Name, ok, err)
		}
	}
	t.Logf("4 lookups among %d tokens in %v", n, time.Since(start))
	plan := queryPlan(t, s.Path(), `SELECT id FROM tokens WHERE hash = x'00'`)
	if !strings.Contains(plan, "USING INDEX") && !strings.Contains(plan, "USING COVERING INDEX") {
		t.Errorf("query plan of a lookup = %q, want an index search", plan)
	}
}

func queryPlan(t *testing.T, path, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("EXPLAIN QUERY PLAN " + q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + ";")
	}
	return b.String()
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s := sqlite.New(memory.Env{core.ServerDataDirEnv: b.TempDir()})
			defer s.Close()
			var last core.TokenHash
			for i := range n {
				last = core.HashAPIToken(fmt.Sprint("tok", i))
				if _, err := s.Create(ctx, core.NewTokenRecord{Name: fmt.Sprint("t", i), Hash: last, CreatedAt: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if _, ok, err := s.Lookup(ctx, last); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
