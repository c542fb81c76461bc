package sqlite

import (
	"os"
	"path/filepath"
	"testing"
)

// The WAL index header is read through a mapping; a -shm file truncated
// under it (SQLite does so when it reopens a database no one has open)
// makes the read fault: version answers "unknown" and the process lives.
func TestVersionOfTruncatedShm(t *testing.T) {
	dir := t.TempDir()
	shm := filepath.Join(dir, FileName+"-shm")
	if _, ok := mustWatch(t, dir, shm).version(); ok {
		t.Errorf("version() without a -shm file ok = true, want false")
	}
	page := make([]byte, 32768)
	page[7] = 42
	if err := os.WriteFile(shm, page, 0o600); err != nil {
		t.Fatal(err)
	}
	w := mustWatch(t, dir, shm)
	v, ok := w.version()
	if !ok || v[7] != 42 {
		t.Fatalf("version() = %v, %v; want byte 7 = 42, true", v[:8], ok)
	}
	if err := os.Truncate(shm, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.version(); ok {
		t.Errorf("version() of a truncated -shm file ok = true, want false")
	}
	if changed, _ := w.drain(); !changed {
		t.Errorf("drain() after the truncation changed = false, want true")
	}
	page[7] = 43
	if err := os.WriteFile(shm, page, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, ok := w.version(); !ok || v[7] != 43 {
		t.Errorf("version() after the file grew back = %v, %v; want byte 7 = 43, true", v[:8], ok)
	}
}

func mustWatch(t *testing.T, dir, shm string) watch {
	t.Helper()
	w, err := newWatch(dir, shm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.close() })
	return w
}
