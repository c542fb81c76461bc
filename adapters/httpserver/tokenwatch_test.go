package httpserver

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// countingTokens counts the look-ups of a token store.
type countingTokens struct {
	ports.TokenVerifier
	n atomic.Int64
}

func (c *countingTokens) Lookup(ctx context.Context, h core.TokenHash) (core.TokenRecord, bool, error) {
	c.n.Add(1)
	return c.TokenVerifier.Lookup(ctx, h)
}

// The streams of one token share one look-up per interval: idle followers
// cost the token store nothing more as they grow in number. Once the last
// stream ends, the look-ups stop.
func TestStreamsShareTokenRecheck(t *testing.T) {
	f := newFixture(t)
	tokens := &countingTokens{TokenVerifier: f.store}
	s := New(tokens, f.store, f.notes)
	s.now, s.keepalive, s.tokenRecheck = f.clock.now, time.Hour, 20*time.Millisecond
	base := httptestServer(t, s)
	tok := f.token("ci", 0)
	id := wireID("shared")
	d := core.Deployment{ID: id, App: "web"}
	s.logs.publish(s.entry(d, "INFO", "pulling"))
	const streams = 20
	var events []<-chan event
	for range streams {
		_, ev := stream(t, base, tok, id)
		events = append(events, ev)
	}
	before, start := tokens.n.Load(), time.Now()
	time.Sleep(400 * time.Millisecond)
	lookups, ticks := tokens.n.Load()-before, time.Since(start)/s.tokenRecheck
	t.Logf("%d look-ups in %d intervals with %d streams of one token", lookups, ticks, streams)
	// one a stream an interval would be 20 times as many
	if lookups > int64(ticks)+5 {
		t.Errorf("%d streams of one token made %d look-ups in %d intervals; want at most one an interval", streams, lookups, ticks)
	}
	done := s.entry(d, "INFO", "done")
	done.IsDeploymentComplete = true
	s.logs.publish(done)
	for _, ev := range events {
		if _, _, ended := drain(t, ev, 5*time.Second); !ended {
			t.Fatal("a stream did not end with its deployment")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.watches.mu.Lock()
		n := len(s.watches.watched)
		s.watches.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tokens still watched after every stream ended", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := tokens.n.Load()
	time.Sleep(10 * s.tokenRecheck)
	if n := tokens.n.Load() - after; n != 0 {
		t.Errorf("%d look-ups after every stream ended, want none", n)
	}
}

// Every stream of a revoked token ends, and a token that expires ends
// its streams as a revoke does.
func TestDeployLogEndsOnRevokeAndExpiry(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive, f.srv.tokenRecheck = time.Hour, 20*time.Millisecond
	revoked, expiring, other := f.token("ci", 0), f.token("short", time.Hour), f.token("laptop", 0)
	id := wireID("rev2")
	f.srv.logs.publish(f.srv.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	open := func(tok string) <-chan event {
		_, ev := stream(t, f.http.URL, tok, id)
		if _, _, ended := drain(t, ev, 100*time.Millisecond); ended {
			t.Fatal("a stream ended before its token was revoked or expired")
		}
		return ev
	}
	r1, r2, e1, e2, o := open(revoked), open(revoked), open(expiring), open(expiring), open(other)
	if _, err := f.openStore().Revoke(context.Background(), "ci", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	for i, ev := range []<-chan event{r1, r2} {
		if _, _, ended := drain(t, ev, 3*time.Second); !ended {
			t.Fatalf("stream %d of the revoked token is still open 3s after the revoke", i+1)
		}
	}
	if _, _, ended := drain(t, e1, 100*time.Millisecond); ended {
		t.Fatal("the expiring token's stream ended before its expiry")
	}
	f.clock.add(time.Hour)
	for i, ev := range []<-chan event{e1, e2} {
		if _, _, ended := drain(t, ev, 3*time.Second); !ended {
			t.Fatalf("stream %d of the expired token is still open 3s after its expiry", i+1)
		}
	}
	if _, _, ended := drain(t, o, 200*time.Millisecond); ended {
		t.Error("another token's stream ended with the revoke or the expiry")
	}
}

// A follower leaving keeps its token watched for the followers still
// there: a revoke after it left still ends the others' streams. Once
// the last one leaves, the token is no longer watched.
func TestFollowerLeavingKeepsTokenWatched(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive, f.srv.tokenRecheck = time.Hour, 20*time.Millisecond
	tok := f.token("ci", 0)
	id := wireID("leave")
	f.srv.logs.publish(f.srv.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	leaving, _ := stream(t, f.http.URL, tok, id)
	_, staying := stream(t, f.http.URL, tok, id)
	streams := func() int {
		f.srv.watches.mu.Lock()
		defer f.srv.watches.mu.Unlock()
		n := 0
		for _, w := range f.srv.watches.watched {
			n += w.streams
		}
		return n
	}
	waitStreams := func(done func(n int) bool, want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !done(streams()); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("streams watched = %d, want %s", streams(), want)
			}
		}
	}
	waitStreams(func(n int) bool { return n == 2 }, "2")
	leaving.Body.Close()
	waitStreams(func(n int) bool { return n < 2 }, "fewer than 2 once one follower left") // the server saw it leave
	if _, _, ended := drain(t, staying, 100*time.Millisecond); ended {
		t.Fatal("the other follower's stream ended when one left")
	}
	if _, err := f.openStore().Revoke(context.Background(), "ci", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	if _, _, ended := drain(t, staying, 3*time.Second); !ended {
		t.Fatal("the staying follower's stream is still open 3s after its token was revoked")
	}
	waitStreams(func(n int) bool { return n == 0 }, "0")
	f.srv.watches.mu.Lock()
	defer f.srv.watches.mu.Unlock()
	if n := len(f.srv.watches.watched); n != 0 {
		t.Errorf("%d tokens still watched after every stream ended", n)
	}
}
