package core

import (
	"fmt"
	"io/fs"
)

// OctalMode writes a file mode as chmod takes it, with the setuid, setgid
// and sticky bits that FileMode.Perm drops: a world-writable /tmp-style
// directory is 1777, not 0777.
func OctalMode(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}
