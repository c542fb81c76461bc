package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// The data directory moved away: its one inotify event, IN_MOVE_SELF, has
// no name and ends the buffer exactly; the watch must report it broken.
func TestWatchOfMovedDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w := mustWatch(t, dir, filepath.Join(dir, FileName+"-shm"))
	if changed, broken := w.drain(); changed || broken {
		t.Fatalf("drain() before any change = %v, %v; want false, false", changed, broken)
	}
	if err := os.Rename(dir, filepath.Join(parent, "moved")); err != nil {
		t.Fatal(err)
	}
	if changed, broken := w.drain(); !changed || !broken {
		t.Errorf("drain() after the directory moved = %v, %v; want true, true", changed, broken)
	}
}

// An open that fails after the watch was made closes the watch: a server
// that retries the open on every request must not run out of inotify
// instances (128 per user by default) or descriptors.
func TestFailedOpenClosesWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("not a database, long enough to be read as a header by SQLite........................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	fds := func() int {
		t.Helper()
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd: %v", err)
		}
		return len(ents)
	}
	s := New(memory.Env{core.ServerDataDirEnv: dir})
	if _, err := s.List(context.Background()); err == nil {
		t.Fatal("List() on a file that is not a database = nil error")
	}
	before := fds()
	for range 5 {
		if _, err := s.List(context.Background()); err == nil {
			t.Fatal("List() on a file that is not a database = nil error")
		}
	}
	if after := fds(); after != before {
		t.Errorf("5 failed opens left %d more descriptors open", after-before)
	}
}

// A write to the -shm file is a change; the -shm file deleted or replaced
// under the watch switches it off (its descriptor may no longer be the file
// SQLite uses).
func TestWatchOfReplacedShm(t *testing.T) {
	dir := t.TempDir()
	shm := filepath.Join(dir, FileName+"-shm")
	if err := os.WriteFile(shm, make([]byte, 32768), 0o600); err != nil {
		t.Fatal(err)
	}
	w := mustWatch(t, dir, shm)
	if _, ok := w.version(); !ok {
		t.Fatal("version() of a 32 KiB -shm file ok = false")
	}
	w.drain()
	if err := os.WriteFile(shm, make([]byte, 32768), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, broken := w.drain(); !changed || broken {
		t.Errorf("drain() after a write to -shm = %v, %v; want true, false", changed, broken)
	}
	if err := os.Remove(shm); err != nil {
		t.Fatal(err)
	}
	if changed, broken := w.drain(); !changed || !broken {
		t.Errorf("drain() after -shm was deleted = %v, %v; want true, true", changed, broken)
	}
}

// One page is enough to read the header from: a -shm file of exactly
// shmMapSize bytes is mapped.
func TestVersionOfOnePageShm(t *testing.T) {
	dir := t.TempDir()
	shm := filepath.Join(dir, FileName+"-shm")
	page := make([]byte, shmMapSize)
	page[7] = 42
	if err := os.WriteFile(shm, page, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, ok := mustWatch(t, dir, shm).version(); !ok || v[7] != 42 {
		t.Errorf("version() of a %d-byte -shm file = %v, %v; want byte 7 = 42, true", shmMapSize, v[:8], ok)
	}
}

// close unmaps the -shm file: a server that reopens its store leaves no
// mapping behind.
func TestWatchCloseUnmaps(t *testing.T) {
	dir := t.TempDir()
	shm := filepath.Join(dir, FileName+"-shm")
	if err := os.WriteFile(shm, make([]byte, 32768), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := newWatch(dir, shm)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.version(); !ok {
		t.Fatal("version() of a 32 KiB -shm file ok = false")
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("no /proc/self/maps: %v", err)
	}
	if strings.Contains(string(maps), shm) {
		t.Errorf("after close, /proc/self/maps still maps %s", shm)
	}
}

// Descriptor 0 is a descriptor like any other: a daemon started with its
// standard input closed opens the -shm file as 0. The watch must keep it
// (not open the file again), still see the file replaced, and close it.
func TestWatchWithShmOnDescriptorZero(t *testing.T) {
	dir := t.TempDir()
	shm := filepath.Join(dir, FileName+"-shm")
	if err := os.WriteFile(shm, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := newWatch(dir, shm)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := unix.Dup(0)
	if err != nil {
		t.Skipf("cannot save descriptor 0: %v", err)
	}
	t.Cleanup(func() { unix.Dup2(saved, 0); unix.Close(saved) })
	unix.Close(0)
	// too small to map: the file stays open, unmapped
	if _, ok := w.version(); ok {
		t.Fatal("version() of a 100-byte -shm file ok = true")
	}
	if fd := w.(*inotifyWatch).shmFd; fd != 0 {
		w.close()
		t.Skipf("the -shm file was opened as descriptor %d, not 0", fd)
	}
	if err := os.Truncate(shm, 32768); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.version(); !ok {
		t.Error("version() of the grown -shm file ok = false")
	}
	w.drain()
	if err := os.Remove(shm); err != nil {
		t.Fatal(err)
	}
	if changed, broken := w.drain(); !changed || !broken {
		t.Errorf("drain() after -shm (descriptor 0) was deleted = %v, %v; want true, true", changed, broken)
	}
	w.close()
	if _, err := unix.FcntlInt(0, unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("after close, descriptor 0 is still open (fcntl: %v)", err)
	}
}
