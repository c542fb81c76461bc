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
