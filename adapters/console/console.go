// Package console reports warnings and progress notes on a terminal stream
// (stderr), prefixed with the program's name.
package console

import (
	"fmt"
	"io"
	"sync"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Notifier = (*Notifier)(nil)

// Notifier writes one line per note to w. It is safe for concurrent use, so
// that targets deployed in parallel never interleave within a line.
type Notifier struct {
	mu   sync.Mutex
	w    io.Writer
	prog string
}

// New returns a Notifier that prefixes each line with prog (haloy or haloyadm).
func New(w io.Writer, prog string) *Notifier { return &Notifier{w: w, prog: prog} }

// Warn writes "prog: warning: msg".
func (n *Notifier) Warn(msg string) { n.line("warning: " + msg) }

// Info writes "prog: msg".
func (n *Notifier) Info(msg string) { n.line(msg) }

func (n *Notifier) line(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.w, "%s: %s\n", n.prog, s)
}
