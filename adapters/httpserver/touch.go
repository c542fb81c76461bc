package httpserver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// touchTimeout bounds one write of a token's last use; SQLite's own busy
// timeout (10 s) usually ends it first.
const touchTimeout = 15 * time.Second

// toucher writes tokens' last use in the background, so that a request
// never waits for a write (a held SQLite write lock stalled valid requests
// for the 10 s busy timeout). Uses of one token are coalesced: while a
// write for it is queued or running, later uses add nothing (the store
// keeps one use a minute anyway). After a failed write the token is not
// written again for core.TouchInterval, instead of on every request.
// The worker goroutine runs only while there is something to write.
type toucher struct {
	tokens ports.TokenVerifier
	notes  ports.Notifier

	mu      sync.Mutex
	queue   map[int64]use // waiting to be written, by token id
	writing map[int64]bool
	backoff map[int64]time.Time // after a failure: no write before this time
	running bool
	wg      sync.WaitGroup
}

type use struct {
	name string
	at   time.Time
}

func newToucher(tokens ports.TokenVerifier, notes ports.Notifier) *toucher {
	return &toucher{tokens: tokens, notes: notes, queue: map[int64]use{}, writing: map[int64]bool{}, backoff: map[int64]time.Time{}}
}

// add queues the write of rec's use at at, and returns at once.
func (t *toucher) add(rec core.TokenRecord, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until, ok := t.backoff[rec.ID]; ok && at.Before(until) {
		return
	}
	if _, queued := t.queue[rec.ID]; queued || t.writing[rec.ID] {
		return
	}
	t.queue[rec.ID] = use{rec.Name, at}
	if !t.running {
		t.running = true
		t.wg.Add(1)
		go t.run()
	}
}

// run writes the queue until it is empty.
func (t *toucher) run() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		var (
			id int64
			u  use
		)
		found := false
		for id, u = range t.queue {
			found = true
			break
		}
		if !found {
			t.running = false
			t.mu.Unlock()
			return
		}
		delete(t.queue, id)
		t.writing[id] = true
		t.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), touchTimeout)
		err := t.tokens.Touch(ctx, id, u.at)
		cancel()

		t.mu.Lock()
		delete(t.writing, id)
		if err != nil {
			t.backoff[id] = u.at.Add(core.TouchInterval)
		} else {
			delete(t.backoff, id)
		}
		t.mu.Unlock()
		if err != nil {
			// last use is a convenience: never fail a request for it
			t.notes.Warn(fmt.Sprintf("cannot record last use of token %q (next try in %s at the earliest): %v", u.name, core.TouchInterval, err))
		}
	}
}

// wait returns once every queued write is done, or when ctx ends.
func (t *toucher) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
