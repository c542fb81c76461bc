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
type logs struct {
	mu    sync.Mutex
	byID  map[string]*deployLog
	order []string // oldest first, for eviction
}

type deployLog struct {
	entries []core.LogEntry
	ended   bool
	subs    map[chan core.LogEntry]struct{}
}

func newLogs() *logs { return &logs{byID: map[string]*deployLog{}} }

// publish appends e to its deployment's log and sends it to every
// subscriber. A subscriber that cannot keep up loses its subscription
// (its channel is closed), so that one slow client never blocks a deployment.
func (l *logs) publish(e core.LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[e.DeploymentID]
	if !ok {
		d = &deployLog{subs: map[chan core.LogEntry]struct{}{}}
		l.byID[e.DeploymentID] = d
		l.order = append(l.order, e.DeploymentID)
		l.evict()
	}
	d.entries = append(d.entries, e)
	if len(d.entries) > replayEntries {
		d.entries = d.entries[len(d.entries)-replayEntries:]
	}
	d.ended = d.ended || e.Ends()
	for ch := range d.subs {
		select {
		case ch <- e:
		default:
			close(ch)
			delete(d.subs, ch)
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

// subscribe returns the replayed entries of deployment id and a channel of
// the entries published after them, or ok=false when the deployment has no
// log here. The channel is nil when the replay already ends the log.
// Call the returned cancel when done.
func (l *logs) subscribe(id string) (replay []core.LogEntry, live <-chan core.LogEntry, cancel func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[id]
	if !ok {
		return nil, nil, func() {}, false
	}
	replay = append([]core.LogEntry(nil), d.entries...)
	if d.ended {
		return replay, nil, func() {}, true
	}
	ch := make(chan core.LogEntry, replayEntries)
	d.subs[ch] = struct{}{}
	return replay, ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := d.subs[ch]; ok {
			delete(d.subs, ch)
			close(ch)
		}
	}, true
}

// app returns the app of deployment id, if its log is here.
func (l *logs) app(id string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[id]
	if !ok || len(d.entries) == 0 {
		return "", false
	}
	return d.entries[0].AppName, true
}
