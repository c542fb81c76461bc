//go:build unix

package fs

import (
	iofs "io/fs"
	"os"
	"syscall"
)

// noFollow makes an open fail on a symbolic link; nonBlock keeps an open of
// a FIFO planted in place of a file from hanging.
const (
	noFollow = syscall.O_NOFOLLOW
	nonBlock = syscall.O_NONBLOCK
)

// ownerOf returns the uid that owns the file info describes.
func ownerOf(info iofs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// me is the effective uid, the one files are checked against.
func me() int { return os.Geteuid() }
