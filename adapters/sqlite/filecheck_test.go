package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// The database file is stat'ed once after each change, once every
// restatEvery (at exactly restatEvery, not later) when nothing changed,
// and a stat that found it in place spares the lookups after it.
func TestFileCheckBookkeeping(t *testing.T) {
	w := &fakeWatch{}
	c := newTokenCache(w)
	var h core.TokenHash
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	step := 0
	lookup := func(at time.Time, want bool) {
		t.Helper()
		step++
		_, _, _, fc := c.get(h, at)
		if fc.needed != want {
			t.Fatalf("step %d: lookup at t0+%v needs a stat = %v, want %v", step, at.Sub(t0), fc.needed, want)
		}
		if fc.needed {
			c.checked(fc)
		}
	}
	lookup(t0, true)  // never checked
	lookup(t0, false) // checked, nothing changed since
	lookup(t0.Add(restatEvery-time.Nanosecond), false)
	lookup(t0.Add(restatEvery), true) // once a second even without events
	t1 := t0.Add(restatEvery)
	lookup(t1, false)
	for range 3 { // each change needs one stat, then none
		w.changed = true
		lookup(t1, true)
		lookup(t1, false)
	}
}

// A new connection's first read that SQLite answers with SQLITE_BUSY
// (here: another connection holds an exclusive lock on a rollback-journal
// database, and no busy timeout is set) is tried again until the lock is
// gone, not failed at once.
func TestFirstReadRetriesBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	ctx := context.Background()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA user_version = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	reader, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var v int
	if err := reader.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); !isBusy(err) {
		t.Fatalf("a read under another connection's exclusive lock = %v, want SQLITE_BUSY (the test's set-up is wrong)", err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, err := conn.ExecContext(ctx, `COMMIT`)
		released <- err
	}()
	v, err = firstRead(ctx, reader)
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if err != nil || v != 7 {
		t.Errorf("firstRead() while the lock is held for 100 ms = %d, %v; want 7, nil", v, err)
	}
}
