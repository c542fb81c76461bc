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
	// Waits are what the use case waited for, in the order the waits began;
	// Pending counts those not done yet.
	Waits   []string
	Pending int
}

// Wait records what is awaited until done is called.
func (n *Notes) Wait(what string) func() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Waits = append(n.Waits, what)
	n.Pending++
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.Pending--
		})
	}
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
