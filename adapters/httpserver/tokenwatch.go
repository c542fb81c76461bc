package httpserver

import (
	"context"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// tokenWatch ends the streams of a token once it is revoked or expired:
// one look-up of each token every interval, shared by all of its open
// streams, so that a thousand followers on one token cost what one does
// (a look-up per stream every 250 ms was 20% of a core at 5,000 streams).
type tokenWatch struct {
	mu      sync.Mutex
	watched map[watchKey]*watchedToken
}

// watchKey is a token as a stream was authenticated with it: its hash and
// its record's id, so that a token replaced under the same hash counts as
// gone.
type watchKey struct {
	hash core.TokenHash
	id   int64
}

type watchedToken struct {
	streams int
	gone    chan struct{} // closed once the token is no longer valid
	stop    func()        // ends the look-ups once the last stream left
}

func newTokenWatch() *tokenWatch { return &tokenWatch{watched: map[watchKey]*watchedToken{}} }

// watchToken returns a channel closed once the token of a is revoked, expires,
// is removed, or cannot be checked (the store failed), checked every s's
// tokenRecheck; call release when the stream ends.
func (s *Server) watchToken(a authed) (gone <-chan struct{}, release func()) {
	w := s.watches
	k := watchKey{a.hash, a.rec.ID}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.watched[k]
	if t == nil {
		ctx, cancel := context.WithCancel(context.Background())
		t = &watchedToken{gone: make(chan struct{}), stop: cancel}
		w.watched[k] = t
		go s.lookUpEvery(ctx, k, t.gone)
	}
	t.streams++
	var once sync.Once
	return t.gone, func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			if t.streams--; t.streams == 0 {
				t.stop()
				delete(w.watched, k)
			}
		})
	}
}

// lookUpEvery looks token k up every tokenRecheck until ctx ends, and
// closes gone once it is no longer valid.
func (s *Server) lookUpEvery(ctx context.Context, k watchKey, gone chan struct{}) {
	tick := time.NewTicker(s.tokenRecheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			rec, found, err := s.tokens.Lookup(ctx, k.hash)
			if ctx.Err() != nil {
				return
			}
			if err != nil || !found || rec.ID != k.id || rec.Status(s.now()) != core.TokenActive {
				close(gone)
				return
			}
		}
	}
}
