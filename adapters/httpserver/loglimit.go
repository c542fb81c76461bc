package httpserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/ports"
)

// Repeated log lines: each kind (auth failures, TLS handshake errors,
// net/http's other errors) is written at most lineBurst times per
// lineWindow; the rest are counted, and one line says how many at the end
// of the window ("... and 2,999 more auth failures in the last 10s"). 3,000
// plain-HTTP connections to a TLS port, or failures from many addresses,
// grew a log to 43 MB.
const (
	lineWindow = 10 * time.Second
	lineBurst  = 20
)

// lineLimiter writes lines of a kind through notes within the budget above.
type lineLimiter struct {
	notes ports.Notifier
	now   func() time.Time // time.Now; tests set a clock
	mu    sync.Mutex
	kinds map[string]*lineKind
}

type lineKind struct {
	start   time.Time
	written int
	dropped int
	timer   *time.Timer // writes the summary at the window's end
}

func newLineLimiter(notes ports.Notifier) *lineLimiter {
	return &lineLimiter{notes: notes, now: time.Now, kinds: map[string]*lineKind{}}
}

// info writes line, of kind (a plural noun: "auth failures"), unless its
// kind used up its budget in this window.
func (l *lineLimiter) info(kind, line string) {
	now := l.now()
	l.mu.Lock()
	k := l.kinds[kind]
	if k == nil || now.Sub(k.start) >= lineWindow {
		if k != nil {
			l.summarize(kind, k)
		}
		k = &lineKind{start: now}
		l.kinds[kind] = k
	}
	if k.written < lineBurst {
		k.written++
		l.mu.Unlock()
		l.notes.Info(line)
		return
	}
	k.dropped++
	if k.timer == nil {
		k.timer = time.AfterFunc(k.start.Add(lineWindow).Sub(now), func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.summarize(kind, k)
		})
	}
	l.mu.Unlock()
}

// summarize writes how many lines of kind k dropped, if any; mu is held.
func (l *lineLimiter) summarize(kind string, k *lineKind) {
	if k.timer != nil {
		k.timer.Stop()
	}
	if k.dropped > 0 {
		l.notes.Info(fmt.Sprintf("... and %s more %s in the last %s", thousands(k.dropped), kind, lineWindow))
		k.dropped = 0
	}
}

// flush writes every pending summary (when the server stops).
func (l *lineLimiter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for kind, k := range l.kinds {
		l.summarize(kind, k)
	}
}

// thousands writes n with commas: 2,999.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// noteWriter turns net/http's own log lines (TLS handshake errors and the
// like) into notes, within the line budget. They never contain a request's
// headers.
type noteWriter struct{ l *lineLimiter }

func (w noteWriter) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	kind := "server errors"
	if strings.Contains(line, "TLS handshake error") {
		kind = "TLS handshake errors"
	}
	w.l.info(kind, line)
	return len(p), nil
}
