// Package memory holds an in-memory twin of every port, for tests of the use
// cases and the CLI. Each twin behaves like its real adapter, errors included.
package memory

import (
	"sync"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Notifier = (*Notes)(nil)

// Notes records what a use case told the user, in order.
type Notes struct {
	mu       sync.Mutex
	Warnings []string
	Infos    []string
}

// Warn records a warning.
func (n *Notes) Warn(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Warnings = append(n.Warnings, msg)
}

// Info records a progress note.
func (n *Notes) Info(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Infos = append(n.Infos, msg)
}
