package serverconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/haloy-auth/haloy/core"
)

// checkFiles refuses a config directory or file that another user owns or
// that group or others can write (they could change the API domain or the
// rotation grace), and a config file that is a symbolic link. Missing ones
// pass.
func checkFiles(dir, path string) error {
	if fi, err := os.Stat(dir); err == nil {
		if err := checkOwnedUnwritable(dir, fi, "haloyadm's config directory"); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // reading it reports the problem
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &core.Error{Kind: core.Unsafe, What: "haloyadm's config file " + strconv.Quote(path) + " is a symbolic link",
			Why: "haloyadm reads and replaces it only as a plain file", Fix: "replace the link with the file itself"}
	}
	return checkOwnedUnwritable(path, fi, "haloyadm's config file")
}

func checkOwnedUnwritable(path string, fi fs.FileInfo, what string) error {
	if uid, ok := ownerOf(fi); ok && uid != me() {
		return &core.Error{Kind: core.Unsafe, What: fmt.Sprintf("%s %s is owned by another user (uid %d)", what, strconv.Quote(path), uid),
			Why: "its owner could change haloyadm's settings", Fix: fmt.Sprintf("chown %d %s, or set %s to a directory of yours", me(), path, core.ServerConfigDirEnv)}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &core.Error{Kind: core.Unsafe, What: what + " " + strconv.Quote(path) + " is writable by other users",
			Why: "its mode is " + core.OctalMode(fi.Mode()) + "; whoever can write it can change haloyadm's settings",
			Fix: "chmod go-w " + path}
	}
	return nil
}
