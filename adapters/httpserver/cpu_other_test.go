//go:build !unix

package httpserver

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
