//go:build !linux

package sqlite

import "errors"

// newWatch: only Linux has inotify here; elsewhere every lookup queries
// the database.
func newWatch(_, _ string) (watch, error) { return nil, errors.New("no inotify on this system") }
