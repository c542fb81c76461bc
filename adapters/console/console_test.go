package console

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the spinner's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until out holds want.
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never held %q: %q", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSpinnerOffShowsNothing(t *testing.T) {
	var out syncBuffer
	n := New(&out, "haloy")
	n.SetDelay(0)
	done := n.Wait("waiting for localhost:9922")
	time.Sleep(250 * time.Millisecond)
	done()
	if out.String() != "" {
		t.Errorf("spinner off wrote %q, want nothing", out.String())
	}
}

func TestSpinnerShowsWhatIsAwaited(t *testing.T) {
	var out syncBuffer
	n := New(&out, "haloy")
	n.SetDelay(0)
	n.Spin(true)
	done := n.Wait("waiting for localhost:9922")
	other := n.Wait("asking 1Password Infrastructure/Haloy API Tokens")
	waitFor(t, &out, "haloy: | waiting for localhost:9922 (and 1 more)… 0s")
	// a note clears the spinner's line before it is written
	n.Info("a note")
	if got := out.String(); !strings.HasSuffix(got, "\r\x1b[Khaloy: a note\n") {
		t.Errorf("note after spinner: %q, want the line cleared first", got)
	}
	done()
	waitFor(t, &out, "asking 1Password Infrastructure/Haloy API Tokens… ")
	// results written through Writer clear the line too
	w := n.Writer(&out)
	w.Write([]byte("result\n"))
	if got := out.String(); !strings.HasSuffix(got, "\r\x1b[Kresult\n") {
		t.Errorf("result after spinner: %q, want the line cleared first", got)
	}
	other()
	before := out.String()
	time.Sleep(250 * time.Millisecond)
	if out.String() != before {
		t.Errorf("spinner drew after every wait was done: %q", strings.TrimPrefix(out.String(), before))
	}
}

// A wait shorter than the delay shows nothing.
func TestSpinnerShortWaitShowsNothing(t *testing.T) {
	var out syncBuffer
	n := New(&out, "haloy")
	n.Spin(true)
	n.SetDelay(time.Hour)
	done := n.Wait("waiting for localhost:9922")
	time.Sleep(250 * time.Millisecond)
	done()
	done() // twice is harmless
	if out.String() != "" {
		t.Errorf("a wait under the delay wrote %q, want nothing", out.String())
	}
}

// writeLog records each write separately.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *writeLog) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

// haloyadm serve logs every API call: batched, many lines cost one write,
// in order, and a warning is never held back.
func TestBatchWritesLinesTogether(t *testing.T) {
	var w writeLog
	n := New(&w, "haloyadm")
	n.Info("before")
	stop := n.Batch(time.Hour)
	n.Info("a")
	n.Info("b")
	if got := w.got(); len(got) != 1 {
		t.Fatalf("writes before the delay = %q, want only the line before Batch", got)
	}
	n.Warn("w")
	n.Info("c")
	stop()
	n.Info("after")
	want := []string{"haloyadm: before\n", "haloyadm: a\nhaloyadm: b\nhaloyadm: warning: w\n", "haloyadm: c\n", "haloyadm: after\n"}
	if got := w.got(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

// A batch goes out by itself once its delay is over, and the next one too.
func TestBatchFlushesAfterDelay(t *testing.T) {
	var w writeLog
	n := New(&w, "haloyadm")
	defer n.Batch(5 * time.Millisecond)()
	for _, line := range []string{"one", "two"} {
		n.Info(line)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(strings.Join(w.got(), ""), line) {
			if time.Now().After(deadline) {
				t.Fatalf("line %q never written: %q", line, w.got())
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// A full batch is written at once, whatever the delay.
func TestBatchFullIsWritten(t *testing.T) {
	var w writeLog
	n := New(&w, "haloyadm")
	defer n.Batch(time.Hour)()
	line := strings.Repeat("x", 1000)
	for range batchMax/len(line) + 1 {
		n.Info(line)
	}
	if got := w.got(); len(got) != 1 || len(got[0]) < batchMax {
		t.Errorf("after more than %d bytes of lines: %d writes, want one of at least %d bytes", batchMax, len(got), batchMax)
	}
}
