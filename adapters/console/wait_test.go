package console

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// countingNotes records what is awaited and how many waits are open.
type countingNotes struct {
	ports.Notifier
	mu    sync.Mutex
	waits []string
	open  int
}

func (n *countingNotes) Wait(what string) func() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.waits = append(n.waits, what)
	n.open++
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.open--
		})
	}
}

func (n *countingNotes) openWaits() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.open
}

// logAPI answers DeployLog with its entries, checking between them that
// the caller is waiting (the spinner shows while the server is silent).
type logAPI struct {
	ports.ServerAPI
	entries []core.LogEntry
	notes   *countingNotes
	t       *testing.T
}

func (a logAPI) DeployLog(_ context.Context, _ core.Endpoint, _ string, each func(core.LogEntry) bool) error {
	for _, e := range a.entries {
		if n := a.notes.openWaits(); n != 1 {
			a.t.Errorf("before entry %q: %d waits open, want 1 (the spinner between entries)", e.Message, n)
		}
		if !each(e) {
			return nil
		}
	}
	return nil
}

// While a deployment's log streams, the spinner shows between entries and
// never while one is printed (issue 16: deploy streams, the spinner fills
// the silences).
func TestWaitingAPIDeployLogWaitsBetweenEntries(t *testing.T) {
	notes := &countingNotes{}
	entries := []core.LogEntry{{Message: "received"}, {Message: "recorded"}, {Message: "done", IsDeploymentComplete: true}}
	api := WaitingAPI(logAPI{entries: entries, notes: notes, t: t}, notes)
	var printed []string
	err := api.DeployLog(context.Background(), core.Endpoint{Server: "localhost:9922"}, "01abc", func(e core.LogEntry) bool {
		if n := notes.openWaits(); n != 0 {
			t.Errorf("while printing %q: %d waits open, want 0 (the spinner is off while a line prints)", e.Message, n)
		}
		printed = append(printed, e.Message)
		return !e.IsDeploymentComplete
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"received", "recorded", "done"}, printed); diff != "" {
		t.Errorf("entries mismatch (-want +got):\n%s", diff)
	}
	if n := notes.openWaits(); n != 0 {
		t.Errorf("after the stream: %d waits open, want 0", n)
	}
	want := "waiting for the deployment log from localhost:9922"
	if len(notes.waits) != 4 || notes.waits[0] != want {
		t.Errorf("waits = %q, want 4 of %q (before each entry and after the last)", notes.waits, want)
	}
}
