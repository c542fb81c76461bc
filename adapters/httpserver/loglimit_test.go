package httpserver

import (
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// TestRefusedRouteLogged: a refused request is logged with its route
// pattern, never its path: a token without its haloy_ prefix pasted into
// a URL was logged in full.
func TestRefusedRouteLogged(t *testing.T) {
	notes := &memory.Notes{}
	s := New(&memory.Tokens{}, &memory.Deployments{}, notes)
	h := s.Handler()
	secret := "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8"
	for _, path := range []string{"/v1/status/" + secret, "/v1/" + secret + "/x"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	logged := strings.Join(notes.Infos, "\n")
	if strings.Contains(logged, secret[:12]) {
		t.Errorf("log holds the path's secret: %q", logged)
	}
	for _, want := range []string{`route="GET /v1/status/{app}"`, `route="GET (no such route)"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log = %q, want %s", logged, want)
		}
	}
}

// TestRepeatedLinesAggregated: 3,000 auth failures from as many addresses
// and 3,000 TLS handshake errors write at most lineBurst lines each, then
// one line saying how many more there were.
func TestRepeatedLinesAggregated(t *testing.T) {
	notes := &memory.Notes{}
	s := New(&memory.Tokens{}, &memory.Deployments{}, notes)
	h := s.Handler()
	bad := core.FormatAPIToken([32]byte{1})
	const n = 3000
	for i := range n {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		req.RemoteAddr = fmt.Sprintf("10.0.%d.%d:1234", i/250, i%250)
		req.Header.Set("Authorization", "Bearer "+bad)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	errLog := log.New(noteWriter{s.lines}, "", 0)
	for i := range n {
		errLog.Printf("http: TLS handshake error from 192.0.2.%d:5555: client sent an HTTP request to an HTTPS server", i%250)
	}
	s.lines.flush() // as Serve does when it stops; a timer does it after 10 s
	count := func(prefix string) int {
		c := 0
		for _, l := range notes.Infos {
			if strings.HasPrefix(l, prefix) {
				c++
			}
		}
		return c
	}
	if got := count("auth failure:"); got != lineBurst {
		t.Errorf("auth failure lines = %d, want %d", got, lineBurst)
	}
	if got := count("http: TLS handshake error"); got != lineBurst {
		t.Errorf("TLS handshake error lines = %d, want %d", got, lineBurst)
	}
	for _, want := range []string{"... and 2,980 more auth failures in the last 10s", "... and 2,980 more TLS handshake errors in the last 10s"} {
		if count(want) != 1 {
			t.Errorf("log lacks %q (%d lines in all)", want, len(notes.Infos))
		}
	}
	if len(notes.Infos) > 2*lineBurst+2 {
		t.Errorf("%d log lines for %d events, want at most %d", len(notes.Infos), 2*n, 2*lineBurst+2)
	}

}

// TestThousands: the summary line's count has a comma before each group of
// three digits, and none in front.
func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 2999: "2,999", 100000: "100,000", 999999: "999,999", 1000000: "1,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLineWindow: a kind's budget lasts lineWindow: the line lineWindow
// after the window began opens a new one and is written; the lines dropped
// in a window are counted in one line at its end, written by a timer
// without waiting for another line or for the server to stop.
func TestLineWindow(t *testing.T) {
	notes := &memory.Notes{}
	l := newLineLimiter(notes)
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	at := t0
	l.now = func() time.Time { return at }
	for i := range lineBurst {
		l.info("auth failures", fmt.Sprintf("auth failure %d", i))
	}
	infos := func() []string {
		l.mu.Lock()
		defer l.mu.Unlock()
		return append([]string{}, notes.Infos...)
	}
	// two more just before the window ends: dropped, and the timer is due at once
	at = t0.Add(lineWindow - time.Nanosecond)
	l.info("auth failures", "auth failure late")
	l.info("auth failures", "auth failure later")
	if got := infos(); len(got) != lineBurst {
		t.Fatalf("%d lines written of %d in one window, want %d", len(got), lineBurst+2, lineBurst)
	}
	want := "... and 2 more auth failures in the last 10s"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if got := infos(); len(got) == lineBurst+1 && got[lineBurst] == want {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("lines %q, want %q written at the window's end", got[lineBurst:], want)
		}
	}
	at = t0.Add(lineWindow)
	l.info("auth failures", "auth failure next window")
	if got := infos(); len(got) != lineBurst+2 || got[lineBurst+1] != "auth failure next window" {
		t.Errorf("lines after the summary = %q, want the first line of the next window", got[lineBurst+1:])
	}
}
