package httpserver

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// stuckTouches is a token store whose writes of last use block until
// released (a write lock held by another process), or fail.
type stuckTouches struct {
	*memory.Tokens
	calls   atomic.Int32
	release chan struct{}
	fail    atomic.Bool
}

func (s *stuckTouches) Touch(ctx context.Context, id int64, at time.Time) error {
	s.calls.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.fail.Load() {
		return errors.New("database is locked")
	}
	return s.Tokens.Touch(ctx, id, at)
}

// TestLastUseNeverBlocks: with the write of last use stuck (a SQLite write
// lock held elsewhere), valid requests are answered at once, the uses are
// coalesced into one write, and a failed write is not retried on every
// later request.
func TestLastUseNeverBlocks(t *testing.T) {
	toks := &stuckTouches{Tokens: &memory.Tokens{}, release: make(chan struct{})}
	c := &clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	notes := &memory.Notes{}
	s := New(toks, &memory.Deployments{}, notes)
	s.now = c.now
	tok := core.FormatAPIToken([32]byte{7})
	toks.Create(context.Background(), core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken(tok), CreatedAt: c.now()})
	h := s.Handler()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(toks.release) }) }
	defer release()
	call := func() {
		t.Helper()
		done := make(chan int, 1)
		go func() {
			req := httptest.NewRequest("GET", "/v1/version", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			done <- rec.Code
		}()
		select {
		case code := <-done:
			if code != 200 {
				t.Fatalf("GET /v1/version = %d, want 200", code)
			}
		case <-time.After(3 * time.Second):
			release()
			t.Fatal("GET /v1/version waited for the write of the token's last use")
		}
	}
	for range 20 {
		call()
	}
	// the write starts in the background: give it time to begin
	for deadline := time.Now().Add(5 * time.Second); toks.calls.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := toks.calls.Load(); got != 1 {
		t.Errorf("writes of last use begun during 20 requests with the first one stuck = %d, want 1", got)
	}
	// the stuck write fails: later requests must not try again at once
	toks.fail.Store(true)
	release()
	s.touch.wait(context.Background())
	for range 10 {
		c.add(2 * time.Second)
		call()
		s.touch.wait(context.Background())
	}
	if got := toks.calls.Load(); got != 1 {
		t.Errorf("writes of last use begun within a minute of a failed one = %d, want 1 (no retry on every request)", got)
	}
	c.add(time.Minute)
	toks.fail.Store(false)
	call()
	s.touch.wait(context.Background())
	if got, want := toks.calls.Load(), int32(2); got != want || toks.Writes != 1 {
		t.Errorf("a minute after the failure: %d writes begun, %d done; want %d and 1", got, toks.Writes, want)
	}
	// the failed write is told in one warning; the write that worked is not
	want := `cannot record last use of token "ci" (next try in 1m0s at the earliest): database is locked`
	if len(notes.Warnings) != 1 || notes.Warnings[0] != want {
		t.Errorf("warnings = %q, want only %q", notes.Warnings, want)
	}
}
