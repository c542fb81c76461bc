package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// The tests in this file pin exact limits and the token cache's
// bookkeeping, each on both sides: a mutation of one comparison or counter
// makes one of them fail (docs/testing.md, "Mutation testing").

// fakeWatch is a watch whose changes the test makes.
type fakeWatch struct {
	changed bool
	ver     walVersion
}

func (f *fakeWatch) drain() (changed, broken bool) {
	c := f.changed
	f.changed = false
	return c, false
}
func (f *fakeWatch) version() (walVersion, bool) { return f.ver, true }
func (f *fakeWatch) close() error                { return nil }

// get is tokenCache.get without the file check.
func get(c *tokenCache, h core.TokenHash) (core.TokenRecord, bool, uint64) {
	rec, ok, gen, _ := c.get(h, time.Now())
	return rec, ok, gen
}

// A record read before a change is never stored after it, whatever
// changes follow: each change gives the cache a generation it never had.
func TestCacheDropsPutAfterAnyTwoChanges(t *testing.T) {
	h, other := core.TokenHash{1}, core.TokenHash{2}
	changes := map[string]func(c *tokenCache, w *fakeWatch){
		// an inotify event, seen by the next get
		"event": func(c *tokenCache, w *fakeWatch) { w.changed = true; get(c, other) },
		// a commit elsewhere: a new WAL index header
		"commit": func(c *tokenCache, w *fakeWatch) { w.ver[0]++; get(c, other) },
		// a write through this store
		"write": func(c *tokenCache, w *fakeWatch) { c.invalidate() },
	}
	for first, a := range changes {
		for second, b := range changes {
			w := &fakeWatch{}
			c := newTokenCache(w)
			_, _, gen := get(c, h)
			a(c, w)
			b(c, w)
			c.put(h, core.TokenRecord{ID: 1, Name: "ci"}, gen)
			if rec, ok, _ := get(c, h); ok {
				t.Errorf("after a get, a %s and a %s, the put of the get's record was kept: get = %+v", first, second, rec)
			}
		}
	}
	// and with no change in between the put is kept
	c := newTokenCache(&fakeWatch{})
	_, _, gen := get(c, h)
	c.put(h, core.TokenRecord{ID: 1, Name: "ci"}, gen)
	if _, ok, _ := get(c, h); !ok {
		t.Errorf("with no change, the put was dropped")
	}
}

// The cache holds at most cacheMax records; past that, lookups go to the
// database.
func TestCacheBound(t *testing.T) {
	c := newTokenCache(&fakeWatch{})
	_, _, gen := get(c, core.TokenHash{})
	hash := func(i int) core.TokenHash { return core.TokenHash{byte(i), byte(i >> 8), 1} }
	for i := range cacheMax + 1 {
		c.put(hash(i), core.TokenRecord{ID: int64(i + 1)}, gen)
	}
	if _, ok, _ := get(c, hash(cacheMax-1)); !ok {
		t.Errorf("record %d of %d not cached", cacheMax, cacheMax)
	}
	if rec, ok, _ := get(c, hash(cacheMax)); ok {
		t.Errorf("record %d cached (%+v), want at most %d", cacheMax+1, rec, cacheMax)
	}
	if len(c.recs) != cacheMax {
		t.Errorf("cache holds %d records, want %d", len(c.recs), cacheMax)
	}
}

// A write that races Close runs its invalidate after Close dropped the
// cache: that must not bring the server down.
func TestInvalidateAfterClose(t *testing.T) {
	s := New(memory.Env{core.ServerDataDirEnv: t.TempDir()})
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.invalidate()
}

// The reserve is reserveBytes: made whole when missing or cut short (a
// crash while it was written), and left alone when whole, so that an open
// writes nothing then.
func TestReserveSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	r := path + reserveSuffix
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(r)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	keepReserve(path)
	if got := size(); got != reserveBytes {
		t.Errorf("new reserve is %d bytes, want %d", got, reserveBytes)
	}
	if err := os.Truncate(r, 100); err != nil {
		t.Fatal(err)
	}
	keepReserve(path)
	if got := size(); got != reserveBytes {
		t.Errorf("reserve cut to 100 bytes, then kept: %d bytes, want %d", got, reserveBytes)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(r, old, old); err != nil {
		t.Fatal(err)
	}
	keepReserve(path)
	if fi, err := os.Stat(r); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("a whole reserve was written again (modified %v, want %v; %v)", fi.ModTime(), old, err)
	}
}

// A deployment's record may be exactly MaxDeploymentRecordBytes of JSON,
// not a byte more.
func TestRecordSizeLimit(t *testing.T) {
	s := New(memory.Env{core.ServerDataDirEnv: t.TempDir()})
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	record := func(id string, size int) error {
		d := core.DeploymentRecord{TokenID: 1, TokenName: "ci", ReceivedAt: time.Now()}
		d.ID, d.App, d.Target = id, "web", "a"
		base, err := jsonLen(d.Deployment)
		if err != nil {
			t.Fatal(err)
		}
		d.Target = strings.Repeat("a", 1+size-base)
		if n, _ := jsonLen(d.Deployment); n != size {
			t.Fatalf("record of %d bytes, want %d", n, size)
		}
		return s.Record(ctx, d)
	}
	if err := record("at-limit", core.MaxDeploymentRecordBytes); err != nil {
		t.Errorf("Record() of %d bytes = %v, want nil", core.MaxDeploymentRecordBytes, err)
	}
	err := record("over-limit", core.MaxDeploymentRecordBytes+1)
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.What, "too large") {
		t.Errorf("Record() of %d bytes = %v, want the too-large error", core.MaxDeploymentRecordBytes+1, err)
	}
}

func jsonLen(v any) (int, error) {
	b, err := json.Marshal(v)
	return len(b), err
}

// A Store used after Close refuses, and opens nothing again: a late
// caller (a log stream's token recheck racing the server's shutdown) once
// re-created the database in a directory its owner was removing.
func TestNoReopenAfterClose(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s := New(memory.Env{core.ServerDataDirEnv: dir})
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	var h core.TokenHash
	if _, _, err := s.Lookup(ctx, h); !errors.Is(err, errClosed) {
		t.Errorf("Lookup after Close: err = %v, want errClosed", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, errClosed) {
		t.Errorf("List after Close: err = %v, want errClosed", err)
	}
	if err := s.Touch(ctx, 1, time.Now()); !errors.Is(err, errClosed) {
		t.Errorf("Touch after Close: err = %v, want errClosed", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after use after Close, the data directory exists again (stat: %v): the store opened the database again", err)
	}
}
