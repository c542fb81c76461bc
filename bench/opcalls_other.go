//go:build !linux

package main

import "errors"

// countOpens needs inotify; the bench runs on Linux.
func countOpens(string) (func() (int, error), error) {
	return nil, errors.New("counting age file reads needs Linux (inotify)")
}
