package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/haloy-auth/haloy/core"
)

// checkDataDir refuses a data directory that another user owns or that
// group or others can write: they could plant links or files in it that
// make haloyadm (root) create or write files elsewhere, or swap the
// database.
func checkDataDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check data directory %s: %w", dir, err)
	}
	if uid, ok := ownerOf(fi); ok && uid != me() {
		return &core.Error{Kind: core.Unsafe, What: fmt.Sprintf("haloyadm's data directory %s is owned by another user (uid %d)", strconv.Quote(dir), uid),
			Why: "its owner could swap the token store, or plant links that make haloyadm write elsewhere",
			Fix: fmt.Sprintf("chown %d %s && chmod 700 %s, or set %s to a directory of yours", me(), dir, dir, core.ServerDataDirEnv)}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &core.Error{Kind: core.Unsafe, What: "haloyadm's data directory " + strconv.Quote(dir) + " is writable by other users",
			Why: "its mode is " + core.OctalMode(fi.Mode()) + "; whoever can write it can swap the token store, or plant links that make haloyadm write elsewhere",
			Fix: "chmod 700 " + dir}
	}
	return nil
}

// checkModes refuses the database and its WAL, SHM and journal files if
// one is a symbolic link (SQLite would follow it, and create or write the
// file it points to), is owned by another user, or if group or other
// users have any access to it.
func checkModes(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check token store %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &core.Error{Kind: core.Unsafe, What: "token store " + strconv.Quote(p) + " is a symbolic link",
				Why: "SQLite would follow it, and create or write the file it points to",
				Fix: "replace the link with the file itself, or set " + core.ServerDataDirEnv + " to the directory that holds the database"}
		}
		if uid, ok := ownerOf(fi); ok && uid != me() {
			return &core.Error{Kind: core.Unsafe, What: fmt.Sprintf("token store %s is owned by another user (uid %d)", strconv.Quote(p), uid),
				Why: "its owner could change the tokens it holds",
				Fix: fmt.Sprintf("chown %d %s*, if it is haloyadm's", me(), path)}
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			return &core.Error{Kind: core.Unsafe, What: "token store " + strconv.Quote(p) + " is accessible to other users",
				Why: "its mode is " + core.OctalMode(fi.Mode()) + "; token hashes and deployment records are for the owner only",
				Fix: "chmod 600 " + path + "*"}
		}
	}
	return nil
}
