package httpserver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func messages(es []core.LogEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Message)
	}
	return out
}

func logEntry(id, msg string) core.LogEntry {
	return core.LogEntry{Level: "INFO", Message: msg, DeploymentID: id, AppName: "web"}
}

func TestLogsSubscription(t *testing.T) {
	l := newLogs()
	l.publish(logEntry("d", "one"))
	replay, sub, cancel, ok := l.subscribe("d")
	defer cancel()
	if !ok || sub == nil {
		t.Fatalf("subscribe = ok %v, sub %v; want a live subscription", ok, sub)
	}
	if diff := cmp.Diff([]string{"one"}, messages(replay)); diff != "" {
		t.Errorf("replay mismatch (-want +got):\n%s", diff)
	}
	select {
	case <-sub.wake:
		t.Fatal("woken before anything was published")
	default:
	}
	// two entries, one wake-up: the take gets both, in order
	l.publish(logEntry("d", "two"))
	l.publish(logEntry("d", "three"))
	<-sub.wake
	got, ok := l.take(sub)
	if diff := cmp.Diff([]string{"two", "three"}, messages(got)); diff != "" || !ok {
		t.Errorf("take = ok %v, mismatch (-want +got):\n%s", ok, diff)
	}
	if got, ok := l.take(sub); len(got) != 0 || !ok {
		t.Errorf("take again = %q, ok %v; want nothing new", messages(got), ok)
	}
	// what a subscriber was given is not changed by later entries
	for i := range 2 * replayEntries {
		l.publish(logEntry("d", fmt.Sprint(i)))
	}
	if diff := cmp.Diff([]string{"one"}, messages(replay)); diff != "" {
		t.Errorf("replay after more entries mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"two", "three"}, messages(got)); diff != "" {
		t.Errorf("taken entries after more entries mismatch (-want +got):\n%s", diff)
	}
}

// A subscriber that falls more than replayEntries behind loses its
// subscription: a slow client never holds a deployment's entries, and its
// client resumes with the replay.
func TestLogsSlowSubscriberLosesSubscription(t *testing.T) {
	l := newLogs()
	l.publish(logEntry("d", "start"))
	_, slow, cancelSlow, _ := l.subscribe("d")
	defer cancelSlow()
	_, keeping, cancelKeeping, _ := l.subscribe("d")
	defer cancelKeeping()
	for i := range replayEntries {
		l.publish(logEntry("d", fmt.Sprint(i)))
	}
	// exactly replayEntries behind: nothing lost yet
	if got, ok := l.take(keeping); !ok || len(got) != replayEntries {
		t.Fatalf("take of a subscriber %d behind = %d entries, ok %v; want all of them", replayEntries, len(got), ok)
	}
	l.publish(logEntry("d", "one more"))
	if got, ok := l.take(slow); ok {
		t.Errorf("take of a subscriber %d behind = %d entries, ok; want its subscription lost", replayEntries+1, len(got))
	}
	if got, ok := l.take(keeping); !ok || len(got) != 1 || got[0].Message != "one more" {
		t.Errorf("take of a subscriber that kept up = %q, ok %v; want the new entry", messages(got), ok)
	}
	// its client subscribes again and gets the last replayEntries
	replay, _, cancel, _ := l.subscribe("d")
	defer cancel()
	if len(replay) != replayEntries || replay[len(replay)-1].Message != "one more" {
		t.Errorf("replay = %d entries ending %q, want %d ending \"one more\"", len(replay), replay[len(replay)-1].Message, replayEntries)
	}
}

// A cancelled subscription leaves nothing behind, so that an ended
// deployment's log can be evicted.
func TestLogsCancelAndEvict(t *testing.T) {
	l := newLogs()
	l.publish(logEntry("d0", "start"))
	_, sub, cancel, _ := l.subscribe("d0")
	end := logEntry("d0", "done")
	end.IsDeploymentComplete = true
	l.publish(end)
	if _, sub2, _, ok := l.subscribe("d0"); !ok || sub2 != nil {
		t.Errorf("subscribe to an ended log = ok %v, sub %v; want the replay only", ok, sub2)
	}
	for i := range keptDeployLogs {
		l.publish(logEntry(fmt.Sprintf("e%d", i), "start"))
	}
	// still subscribed: kept beyond keptDeployLogs
	if _, ok := l.app("d0"); !ok {
		t.Fatal("a log with a subscriber was evicted")
	}
	if got, ok := l.take(sub); !ok || len(got) != 1 {
		t.Errorf("take = %q, ok %v; want the last entry", messages(got), ok)
	}
	cancel()
	if n := len(l.byID["d0"].subs); n != 0 {
		t.Errorf("%d subscribers left after cancel", n)
	}
	l.publish(logEntry("e-last", "start"))
	if _, ok := l.app("d0"); ok {
		t.Error("an ended log without subscribers was kept beyond keptDeployLogs")
	}
}

// A stream whose client stops reading falls behind and is closed without
// the deployment's end; a new stream gets the replay, which the client
// (app.Deploy's follow) uses to resume.
func TestDeployLogSlowClientIsCut(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = time.Hour
	tok := f.token("ci", 0)
	id := wireID("slow")
	d := core.Deployment{ID: id, App: "web"}
	f.srv.logs.publish(f.srv.entry(d, "INFO", "pulling"))
	req, _ := http.NewRequest("GET", f.http.URL+"/v1/deploy/"+id+"/logs", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// the client reads nothing: entries of 64 KiB fill the sockets' buffers,
	// the server's write blocks, and the log moves on without it
	big := strings.Repeat("x", 64<<10)
	for i := range 3 * replayEntries {
		f.srv.logs.publish(f.srv.entry(d, "INFO", fmt.Sprintf("%d %s", i, big)))
	}
	done := f.srv.entry(d, "INFO", "done")
	done.IsDeploymentComplete = true
	f.srv.logs.publish(done)
	_, events := streamBody(t, resp)
	msgs, _, ended := drain(t, events, 10*time.Second)
	if !ended {
		t.Fatal("the slow stream is still open")
	}
	t.Logf("the slow stream got %d of %d entries", len(msgs), 2+3*replayEntries)
	if len(msgs) == 0 || len(msgs) >= 2+3*replayEntries || msgs[len(msgs)-1] == "done" {
		t.Errorf("slow stream got %d entries, the last %.20q; want it cut before the end", len(msgs), msgs[len(msgs)-1])
	}
	_, events = stream(t, f.http.URL, tok, id)
	msgs, _, ended = drain(t, events, 10*time.Second)
	if !ended || len(msgs) != replayEntries || msgs[len(msgs)-1] != "done" {
		t.Errorf("stream after the cut: %d entries, ended %v; want the replay of %d to the end", len(msgs), ended, replayEntries)
	}
}

// TestLogsKeepExactlyKeptDeployLogs: keptDeployLogs ended logs are all kept;
// the next deployment evicts the oldest one, and only it.
func TestLogsKeepExactlyKeptDeployLogs(t *testing.T) {
	l := newLogs()
	for i := range keptDeployLogs {
		id := fmt.Sprintf("e%d", i)
		l.publish(logEntry(id, "start"))
		end := logEntry(id, "done")
		end.IsDeploymentComplete = true
		l.publish(end)
	}
	if _, ok := l.app("e0"); !ok || len(l.byID) != keptDeployLogs {
		t.Fatalf("with %d ended logs: oldest kept %v, %d kept; want all kept", keptDeployLogs, ok, len(l.byID))
	}
	l.publish(logEntry("next", "start"))
	if _, ok := l.app("e0"); ok {
		t.Error("the oldest ended log was kept beyond keptDeployLogs")
	}
	if _, ok := l.app("e1"); !ok || len(l.byID) != keptDeployLogs {
		t.Errorf("after one more deployment: second oldest kept %v, %d kept; want it kept and %d in all", ok, len(l.byID), keptDeployLogs)
	}
}

// One follower leaving does not drop the others: they are still woken by
// the next entry, and an ended log with followers left is not evicted.
func TestLogsOtherFollowersStay(t *testing.T) {
	l := newLogs()
	l.publish(logEntry("d0", "start"))
	_, _, cancelA, _ := l.subscribe("d0")
	_, b, cancelB, _ := l.subscribe("d0")
	defer cancelB()
	cancelA()
	if n := len(l.byID["d0"].subs); n != 1 {
		t.Fatalf("%d subscribers after one of two left, want 1", n)
	}
	l.publish(logEntry("d0", "next"))
	select {
	case <-b.wake:
	default:
		t.Fatal("the follower that stayed was not woken by the next entry")
	}
	if got, ok := l.take(b); !ok || len(got) != 1 || got[0].Message != "next" {
		t.Errorf("take = %q, ok %v; want [next]", messages(got), ok)
	}
}
