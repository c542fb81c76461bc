//go:build unix

package httpserver

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process used so far (user and
// system, every thread), or false where it is not available.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
