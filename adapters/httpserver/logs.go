package httpserver

import (
	"sync"

	"github.com/haloy-auth/haloy/core"
)

// Log retention: the last entries of each deployment are replayed to a
// late subscriber, as Haloy's server does, and only the newest
// deployments are kept in memory.
const (
	replayEntries  = 100
	keptDeployLogs = 1000
)

// logs holds the recent log entries of deployments and hands them to
// subscribers: every entry published after a subscription, and the last
// replayEntries before it.
//
// A subscriber holds no copy of the entries: it has a position in its
// deployment's log and a wake-up channel of one slot, and takes what was
// published since its last take. An idle stream costs a few hundred bytes
// here, whatever the retention (a channel of replayEntries entries was
// 13 KiB a stream). A subscriber that falls more than replayEntries
// behind loses its subscription, as one whose buffer filled up did: one
// slow client never blocks a deployment or holds its entries, and its
// client resumes with the replay.
type logs struct {
	// mu is held to read by take, so that thousands of streams woken by
	// one entry do not queue for it one by one
	mu    sync.RWMutex
	byID  map[string]*deployLog
	order []string // oldest first, for eviction
}

type deployLog struct {
	// entries are the last replayEntries entries. They are only ever
	// appended to or cut from the front, never written again, so a slice
	// of them handed to a subscriber stays valid without a copy.
	entries []core.LogEntry
	first   int // sequence number of entries[0]; the first entry is 0
	ended   bool
	subs    map[*subscription]struct{}
}

// subscription is one subscriber's place in a deployment's log.
type subscription struct {
	// wake gets a value when entries were published since the last take
	wake chan struct{}
	d    *deployLog
	// next is the sequence number of the next entry to take: set by
	// subscribe, then read and written only by take, which its stream's
	// goroutine alone calls
	next int
}

func newLogs() *logs { return &logs{byID: map[string]*deployLog{}} }

// publish appends e to its deployment's log and wakes every subscriber.
// It never waits for one.
func (l *logs) publish(e core.LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[e.DeploymentID]
	if !ok {
		d = &deployLog{}
		l.byID[e.DeploymentID] = d
		l.order = append(l.order, e.DeploymentID)
		l.evict()
	}
	d.entries = append(d.entries, e)
	if over := len(d.entries) - replayEntries; over > 0 {
		d.entries = d.entries[over:]
		d.first += over
	}
	d.ended = d.ended || e.Ends()
	for sub := range d.subs {
		select {
		case sub.wake <- struct{}{}:
		default: // already woken: its next take gets this entry too
		}
	}
}

// evict forgets the oldest ended deployments beyond keptDeployLogs.
func (l *logs) evict() {
	for i := 0; len(l.byID) > keptDeployLogs && i < len(l.order); {
		id := l.order[i]
		if d := l.byID[id]; d != nil && d.ended && len(d.subs) == 0 {
			delete(l.byID, id)
			l.order = append(l.order[:i], l.order[i+1:]...)
			continue
		}
		i++
	}
}

// subscribe returns the replayed entries of deployment id and a
// subscription to the entries published after them, or ok=false when the
// deployment has no log here. The subscription is nil when the replay
// already ends the log. Call the returned cancel when done.
func (l *logs) subscribe(id string) (replay []core.LogEntry, sub *subscription, cancel func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[id]
	if !ok {
		return nil, nil, func() {}, false
	}
	replay = d.entries[:len(d.entries):len(d.entries)]
	if d.ended {
		return replay, nil, func() {}, true
	}
	sub = &subscription{wake: make(chan struct{}, 1), d: d, next: d.first + len(d.entries)}
	if d.subs == nil {
		d.subs = map[*subscription]struct{}{}
	}
	d.subs[sub] = struct{}{}
	return replay, sub, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(d.subs, sub)
		if len(d.subs) == 0 {
			d.subs = nil // a map once holding thousands keeps their room
		}
	}, true
}

// take returns the entries published since sub's last take (or since it
// subscribed), or ok=false when sub fell so far behind that some of them
// are no longer kept: it lost its subscription, and its client must
// subscribe again to get the replay. Only sub's own stream calls it.
func (l *logs) take(sub *subscription) (entries []core.LogEntry, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	d := sub.d
	if sub.next < d.first {
		return nil, false
	}
	entries = d.entries[sub.next-d.first : len(d.entries) : len(d.entries)]
	sub.next = d.first + len(d.entries)
	return entries, true
}

// app returns the app of deployment id, if its log is here.
func (l *logs) app(id string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	d, ok := l.byID[id]
	if !ok || len(d.entries) == 0 {
		return "", false
	}
	return d.entries[0].AppName, true
}
