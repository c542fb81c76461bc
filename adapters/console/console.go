// Package console reports warnings, progress notes and what a command is
// waiting for on a terminal stream (stderr), prefixed with the program's
// name.
package console

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Notifier = (*Notifier)(nil)

// Notifier writes one line per note to w. It is safe for concurrent use, so
// that targets deployed in parallel never interleave within a line. With
// the spinner on (Spin), Wait shows what is awaited on one line that is
// redrawn in place and cleared before any other output.
type Notifier struct {
	mu   sync.Mutex
	w    io.Writer
	prog string

	spin  bool
	delay time.Duration
	every time.Duration
	waits []*wait
	shown bool // the spinner line is on the terminal
	frame int
	stop  chan struct{}
	now   func() time.Time

	// batch > 0: Info lines wait in pending, at most batch, and go out in
	// one write (see Batch); armed says the flush timer is running
	batch   time.Duration
	pending []byte
	flusher *time.Timer
	armed   bool
}

// batchMax is how much a batch holds before it is written at once.
const batchMax = 64 << 10

type wait struct {
	what  string
	start time.Time
}

// SpinDelay is how long a wait lasts before the spinner shows: shorter
// waits show nothing.
const SpinDelay = 300 * time.Millisecond

// New returns a Notifier that prefixes each line with prog (haloy or
// haloyadm). Its spinner is off: Wait shows nothing.
func New(w io.Writer, prog string) *Notifier {
	return &Notifier{w: w, prog: prog, delay: SpinDelay, every: 100 * time.Millisecond, now: time.Now}
}

// Spin turns the spinner on or off. main turns it on only when w is a
// terminal and neither NO_COLOR nor --quiet is set: a spinner's redrawn
// line is noise in a log or a pipe.
func (n *Notifier) Spin(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.spin = on
	if !on {
		n.clearLocked()
	}
}

// SetDelay changes how long a wait lasts before the spinner shows (tests).
func (n *Notifier) SetDelay(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delay = d
}

// Warn writes "prog: warning: msg", at once (after any batched lines).
func (n *Notifier) Warn(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending = n.appendLine(n.pending, "warning: "+msg)
	n.flushLocked()
}

// Info writes "prog: msg"; while batching (Batch), within its delay.
func (n *Notifier) Info(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending = n.appendLine(n.pending, msg)
	switch {
	case n.batch <= 0 || len(n.pending) >= batchMax:
		n.flushLocked()
	case !n.armed:
		n.armed = true
		if n.flusher == nil {
			n.flusher = time.AfterFunc(n.batch, n.flushTimer)
		} else {
			n.flusher.Reset(n.batch)
		}
	}
}

func (n *Notifier) appendLine(b []byte, s string) []byte {
	b = append(b, n.prog...)
	b = append(b, ": "...)
	b = append(b, s...)
	return append(b, '\n')
}

// Batch makes Info lines go out together, each at most delay after it was
// written, in one write per batch, until stop is called (stop writes what
// is left). Warnings are written at once, after the lines before them. For
// haloyadm serve, which logs every API call: one write(2) per call, into a
// pipe or journald's socket, cost more server CPU than the whole
// authentication (docs/performance.md). Lines keep their order; a process
// killed outright loses at most delay of them.
func (n *Notifier) Batch(delay time.Duration) (stop func()) {
	n.mu.Lock()
	n.batch = delay
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.batch = 0
		if n.flusher != nil {
			n.flusher.Stop()
		}
		n.armed = false
		n.flushLocked()
	}
}

func (n *Notifier) flushTimer() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.armed = false
	n.flushLocked()
}

// flushLocked writes the pending lines, if any; mu is held.
func (n *Notifier) flushLocked() {
	if len(n.pending) == 0 {
		return
	}
	n.clearLocked()
	n.w.Write(n.pending) //nolint:errcheck // stderr; nothing to do on failure
	n.pending = n.pending[:0]
	if cap(n.pending) > batchMax*2 {
		n.pending = nil
	}
}

// Wait shows "what" (e.g. "waiting for localhost:9922") with the seconds
// elapsed, once it has lasted SpinDelay, until done is called. Several
// waits at once share the line. With the spinner off it shows nothing.
func (n *Notifier) Wait(what string) (done func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.spin {
		return func() {}
	}
	wt := &wait{what: what, start: n.now()}
	n.waits = append(n.waits, wt)
	if n.stop == nil {
		n.stop = make(chan struct{})
		go n.run(n.stop)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.waits = slices.DeleteFunc(n.waits, func(x *wait) bool { return x == wt })
			if len(n.waits) == 0 {
				n.clearLocked()
				close(n.stop)
				n.stop = nil
			} else if n.shown {
				n.drawLocked()
			}
		})
	}
}

// Writer returns w wrapped so that each write first clears the spinner's
// line: results printed on stdout, on the same terminal, never land in the
// middle of it.
func (n *Notifier) Writer(w io.Writer) io.Writer { return clearing{n: n, w: w} }

type clearing struct {
	n *Notifier
	w io.Writer
}

func (c clearing) Write(p []byte) (int, error) {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	c.n.flushLocked()
	c.n.clearLocked()
	return c.w.Write(p)
}

func (n *Notifier) run(stop chan struct{}) {
	t := time.NewTicker(n.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			n.mu.Lock()
			if len(n.waits) > 0 && n.now().Sub(n.waits[0].start) >= n.delay {
				n.frame++
				n.drawLocked()
			}
			n.mu.Unlock()
		}
	}
}

var frames = []string{"|", "/", "-", "\\"}

// drawLocked redraws the spinner line: the frame, what is awaited (the
// oldest wait, and how many more), and its seconds.
func (n *Notifier) drawLocked() {
	if len(n.waits) == 0 {
		return
	}
	first := n.waits[0]
	what := first.what
	if more := len(n.waits) - 1; more > 0 {
		what += fmt.Sprintf(" (and %d more)", more)
	}
	secs := int(n.now().Sub(first.start).Seconds())
	fmt.Fprintf(n.w, "\r\x1b[K%s: %s %s… %ds", n.prog, frames[n.frame%len(frames)], strings.TrimSpace(what), secs)
	n.shown = true
}

// clearLocked erases the spinner line, if it is shown.
func (n *Notifier) clearLocked() {
	if n.shown {
		io.WriteString(n.w, "\r\x1b[K") //nolint:errcheck // a terminal write; nothing to do on failure
		n.shown = false
	}
}
