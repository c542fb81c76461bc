package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"unsafe"

	"golang.org/x/sys/unix"
)

// inotifyWatch watches a directory with Linux inotify, read without
// blocking. Each event names a file in the directory; any event counts as
// a change (the data directory holds the database and its -wal, -shm and
// -journal files).
//
// It also reads the header of SQLite's WAL index (the -shm file) for
// version: SQLite rewrites that header at the end of every commit, when
// the commit becomes visible to readers (an inotify event on the WAL comes
// earlier, at the write, while the commit is not yet visible; the header,
// written through a shared mapping, raises no event).
type inotifyWatch struct {
	fd      int
	shm     string
	shmName string
	shmFd   int    // -1 until opened; then kept until close (see replaced)
	shmMap  []byte // the -shm file's first page, mapped read-only; nil until mapped
	buf     [4096]byte
}

// dirEvents are the changes that can alter what the database says: data
// written (SQLite writes its WAL and database with write(2), which raises
// IN_MODIFY in the writer's call), files created, deleted, renamed in or
// out, and the directory itself going away.
const dirEvents = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// gone means the watch no longer reports anything. (IN_Q_OVERFLOW, events
// lost, is only a change: the cache is emptied and the watch goes on.)
const gone = unix.IN_IGNORED | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_UNMOUNT

// replaced, on the -shm file, means the descriptor kept on it may no
// longer be the file SQLite uses. It is never reopened: closing any
// descriptor of a file drops every POSIX lock this process holds on it,
// SQLite's included; the cache is switched off instead. (While the server
// has the database open, SQLite keeps the -shm file: this does not happen.)
const replaced = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO

// newWatch watches dir, or returns an error when inotify is unavailable
// (the caller then runs without a cache).
func newWatch(dir, shm string) (watch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, dirEvents|unix.IN_ONLYDIR); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	return &inotifyWatch{fd: fd, shm: shm, shmName: filepath.Base(shm), shmFd: -1}, nil
}

func (w *inotifyWatch) drain() (changed, broken bool) {
	for {
		n, err := unix.Read(w.fd, w.buf[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return changed, false
		}
		if err != nil || n <= 0 {
			return true, true
		}
		changed = true
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			name := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			if ev.Mask&gone != 0 || ev.Mask&replaced != 0 && w.shmFd >= 0 && string(bytes.TrimRight(name, "\x00")) == w.shmName {
				return true, true
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// version returns the WAL index header (both copies), or false when there
// is no WAL index to read. The header is read through a read-only shared
// mapping of the -shm file's first page, as SQLite itself reads it: no
// system call.
func (w *inotifyWatch) version() (v walVersion, ok bool) {
	if w.shmMap == nil && !w.mapShm() {
		return v, false
	}
	return readMapped(w.shmMap)
}

// mapShm opens and maps the -shm file's first page, once it is big enough.
func (w *inotifyWatch) mapShm() bool {
	if w.shmFd < 0 {
		fd, err := unix.Open(w.shm, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return false
		}
		w.shmFd = fd
	}
	var st unix.Stat_t
	if err := unix.Fstat(w.shmFd, &st); err != nil || st.Size < shmMapSize {
		return false
	}
	m, err := unix.Mmap(w.shmFd, 0, shmMapSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return false
	}
	w.shmMap = m
	return true
}

const shmMapSize = 4096

// readMapped copies the header out of the mapping. Should another process
// truncate the file meanwhile (SQLite does when it reopens a database no one
// has open), the read faults: that is turned into a panic, recovered here,
// and the answer is "unknown" instead of a crash.
func readMapped(m []byte) (v walVersion, ok bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			v, ok = walVersion{}, false
		}
	}()
	copy(v[:], m[:len(v)])
	return v, true
}

// close must come after the database is closed (see replaced).
func (w *inotifyWatch) close() error {
	if w.shmMap != nil {
		unix.Munmap(w.shmMap)
		w.shmMap = nil
	}
	if w.shmFd >= 0 {
		unix.Close(w.shmFd)
		w.shmFd = -1
	}
	return unix.Close(w.fd)
}
