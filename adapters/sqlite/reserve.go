package sqlite

import (
	"errors"
	"os"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A full disk must not block a revoke (it did: the token kept working).
// The store keeps a reserve file of reserveBytes beside the database,
// written with real blocks, and deletes it when a revoke fails for lack of
// space, then tries again: a revoke's WAL frames need a few pages. The
// reserve is made again at the next open that finds room for it.
const (
	reserveSuffix = "-reserve"
	reserveBytes  = 1 << 20
)

// keepReserve makes sure the reserve of the database at path exists; best
// effort: on a full disk it stays missing until there is room.
func keepReserve(path string) {
	r := path + reserveSuffix
	if fi, err := os.Lstat(r); err == nil && (!fi.Mode().IsRegular() || fi.Size() >= reserveBytes) {
		return // in place (or not a file of ours: never written through)
	}
	f, err := os.OpenFile(r, os.O_WRONLY|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	for off := 0; off < reserveBytes; off += len(buf) {
		if _, err := f.WriteAt(buf, int64(off)); err != nil {
			f.Close()
			os.Remove(r)
			return
		}
	}
	// no fsync: the filesystem counts the blocks as used from the write on
	f.Close()
}

// releaseReserve deletes the reserve, freeing its space; false if there
// was none.
func releaseReserve(path string) bool { return os.Remove(path+reserveSuffix) == nil }

// isFull reports whether err is SQLite's "database or disk is full".
func isFull(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
}
