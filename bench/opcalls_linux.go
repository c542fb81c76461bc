package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// countOpens watches work/secrets with inotify and returns a function that
// stops watching and counts the opens of .age files since.
func countOpens(work string) (func() (int, error), error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(work, "secrets"), unix.IN_OPEN); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch: %w", err)
	}
	return func() (int, error) {
		defer unix.Close(fd)
		n := 0
		buf := make([]byte, 64<<10)
		for {
			r, err := unix.Read(fd, buf)
			if err == unix.EAGAIN || r <= 0 {
				return n, nil
			}
			if err != nil {
				return 0, fmt.Errorf("read inotify: %w", err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= r; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if strings.HasSuffix(string(bytes.TrimRight(name, "\x00")), ".age") {
					n++
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}, nil
}
