package httpserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// event is one thing a log stream sent: a keepalive comment, or an entry.
type event struct {
	keepalive bool
	entry     core.LogEntry
}

// stream opens GET /v1/deploy/{id}/logs on base with tok and returns its
// events as they come; the channel closes when the stream ends.
func stream(t *testing.T, base, tok, id string) (*http.Response, <-chan event) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/deploy/"+id+"/logs", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET logs: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return streamBody(t, resp)
}

// streamBody returns the events of an open log stream as they come.
func streamBody(t *testing.T, resp *http.Response) (*http.Response, <-chan event) {
	t.Helper()
	out := make(chan event, 1000)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": keepalive":
				out <- event{keepalive: true}
			case strings.HasPrefix(line, "data: "):
				var e core.LogEntry
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil {
					t.Errorf("event %q: %v", line, err)
				}
				out <- event{entry: e}
			case line != "":
				t.Errorf("unexpected line %q", line)
			}
		}
	}()
	return resp, out
}

// drain collects events until the stream ends or within passes.
func drain(t *testing.T, events <-chan event, within time.Duration) (msgs []string, keepalives int, ended bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return msgs, keepalives, true
			}
			if e.keepalive {
				keepalives++
			} else {
				msgs = append(msgs, e.entry.Message)
			}
		case <-deadline:
			return msgs, keepalives, false
		}
	}
}

func TestDeployLogReplay(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	if got := f.do("POST", "/v1/deploy", bearer(tok), deployBody("d1", "web")); got.Code != 202 {
		t.Fatalf("POST /v1/deploy = %d %s", got.Code, got.Body)
	}
	// a second deployment with the same id is refused and adds nothing to the first's log
	if got := f.do("POST", "/v1/deploy", bearer(tok), deployBody("d1", "web")); got.Code != 409 {
		t.Fatalf("POST /v1/deploy again = %d %s, want 409", got.Code, got.Body)
	}
	// the deployment is over before anyone subscribes: the replay has it all
	for range 2 {
		resp, events := stream(t, f.http.URL, tok, wireID("d1"))
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("GET logs = %d %s", resp.StatusCode, ct)
		}
		msgs, keepalives, ended := drain(t, events, 5*time.Second)
		want := []string{`deployment received (token "ci")`, "deployment recorded", "deployment complete: recorded; haloyadm serve runs no containers"}
		if diff := cmp.Diff(want, msgs); diff != "" || !ended || keepalives != 1 {
			t.Errorf("log stream: ended %v, %d keepalives, messages mismatch (-want +got):\n%s", ended, keepalives, diff)
		}
	}
	// a server that restarted still answers from the record
	s2 := New(f.store, f.store, f.notes)
	s2.now = f.clock.now
	h2 := httptestServer(t, s2)
	_, events := stream(t, h2, tok, wireID("d1"))
	if msgs, _, ended := drain(t, events, 5*time.Second); !ended || len(msgs) != 1 || !strings.Contains(msgs[0], "complete") {
		t.Errorf("log stream after a restart = %q (ended %v), want the completion", msgs, ended)
	}
	for _, tt := range []struct {
		id   string
		code int
	}{{wireID("d9"), 404}, {"D1", 400}, {core.APITokenPrefix + "abcdefghijklmnopqrstuv", 400}} {
		got := f.do("GET", "/v1/deploy/"+tt.id+"/logs", bearer(tok), "")
		if got.Code != tt.code {
			t.Errorf("GET logs of %q = %d %s, want %d", tt.id, got.Code, got.Body, tt.code)
		}
	}
	if got := f.do("GET", "/v1/deploy/"+wireID("d1")+"/logs", nil, ""); got.Code != 401 {
		t.Errorf("GET logs without a token = %d, want 401", got.Code)
	}
}

func TestDeployLogLiveWithKeepalives(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = 20 * time.Millisecond
	tok := f.token("ci", 0)
	id := wireID("live")
	d := core.Deployment{ID: id, App: "web"}
	f.srv.logs.publish(f.srv.entry(d, "INFO", "pulling"))
	_, events := stream(t, f.http.URL, tok, id)
	msgs, keepalives, ended := drain(t, events, 200*time.Millisecond)
	if ended || keepalives < 3 || len(msgs) != 1 {
		t.Fatalf("before the end: %q, %d keepalives, ended %v; want the replay, keepalives, still open", msgs, keepalives, ended)
	}
	f.srv.logs.publish(f.srv.entry(d, "INFO", "starting"))
	fail := f.srv.entry(d, "ERROR", "deployment failed")
	fail.IsDeploymentComplete, fail.IsDeploymentFailed = true, true
	f.srv.logs.publish(fail)
	msgs, _, ended = drain(t, events, 5*time.Second)
	if diff := cmp.Diff([]string{"starting", "deployment failed"}, msgs); diff != "" || !ended {
		t.Errorf("after the end: ended %v, mismatch (-want +got):\n%s", ended, diff)
	}
}

// The server's write timeout bounds ordinary answers; a stream lasts as
// long as its deployment.
func TestDeployLogOutlivesWriteTimeout(t *testing.T) {
	f := newFixture(t)
	s := New(f.store, f.store, f.notes)
	s.writeTimeout, s.keepalive = 150*time.Millisecond, 40*time.Millisecond
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0"})
	defer stop()
	tok := f.token("ci", 0)
	id := wireID("long")
	d := core.Deployment{ID: id, App: "web"}
	s.logs.publish(s.entry(d, "INFO", "pulling"))
	_, events := stream(t, addr, tok, id)
	go func() {
		for i := range 5 {
			time.Sleep(100 * time.Millisecond)
			s.logs.publish(s.entry(d, "INFO", "step"))
			_ = i
		}
		done := s.entry(d, "INFO", "done")
		done.IsDeploymentComplete = true
		s.logs.publish(done)
	}()
	msgs, _, ended := drain(t, events, 10*time.Second)
	if len(msgs) != 7 || !ended || msgs[6] != "done" {
		t.Errorf("stream of 600ms with a 150ms write timeout = %q (ended %v), want 7 entries to done", msgs, ended)
	}
}

// A revoke ends the revoked token's open streams at once, and no other's.
func TestDeployLogEndsOnRevoke(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = time.Hour
	revoked, other := f.token("ci", 0), f.token("laptop", 0)
	id := wireID("rev")
	f.srv.logs.publish(f.srv.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	_, evRevoked := stream(t, f.http.URL, revoked, id)
	_, evOther := stream(t, f.http.URL, other, id)
	drain(t, evRevoked, 50*time.Millisecond)
	drain(t, evOther, 50*time.Millisecond)
	if _, err := f.openStore().Revoke(context.Background(), "ci", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, ended := drain(t, evRevoked, 3*time.Second); !ended {
		t.Fatal("the revoked token's stream is still open 3s after the revoke")
	}
	t.Logf("stream ended %s after the revoke", time.Since(start))
	if _, _, ended := drain(t, evOther, 300*time.Millisecond); ended {
		t.Error("another token's stream ended with the revoke")
	}
}

// httptestServer serves s's handler and returns its URL.
func httptestServer(t *testing.T, s *Server) string {
	t.Helper()
	h := httptest.NewServer(s.Handler())
	t.Cleanup(h.Close)
	return h.URL
}

// subscribers returns how many streams follow deployment id.
func subscribers(s *Server, id string) int {
	s.logs.mu.RLock()
	defer s.logs.mu.RUnlock()
	if d := s.logs.byID[id]; d != nil {
		return len(d.subs)
	}
	return 0
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}

// A stream served on its taken-over connection answers with the same head
// as any other answer (security headers included), ends its connection
// with the deployment, and ends when its client leaves.
func TestDeployLogTakenOverConnection(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = time.Hour
	tok := f.token("ci", 0)
	id := wireID("taken")
	d := core.Deployment{ID: id, App: "web"}
	f.srv.logs.publish(f.srv.entry(d, "INFO", "pulling"))
	resp, events := stream(t, f.http.URL, tok, id)
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("stream header %s = %q, want %q", k, got, want)
		}
	}
	if resp.StatusCode != 200 || resp.ContentLength != -1 || len(resp.TransferEncoding) != 0 || !resp.Close {
		t.Errorf("stream answer = %d, length %d, encoding %q, close %v; want 200 with a body ended by the connection", resp.StatusCode, resp.ContentLength, resp.TransferEncoding, resp.Close)
	}
	if msgs, _, ended := drain(t, events, 100*time.Millisecond); ended || len(msgs) != 1 {
		t.Fatalf("stream before the end = %q, ended %v; want the replay, open", msgs, ended)
	}
	waitFor(t, "one subscriber", func() bool { return subscribers(f.srv, id) == 1 })
	// its client leaves: the stream ends and its subscription with it
	resp.Body.Close()
	waitFor(t, "the subscription ended with its client", func() bool { return subscribers(f.srv, id) == 0 })
	_, events = stream(t, f.http.URL, tok, id)
	waitFor(t, "one subscriber again", func() bool { return subscribers(f.srv, id) == 1 })
	done := f.srv.entry(d, "INFO", "done")
	done.IsDeploymentComplete = true
	f.srv.logs.publish(done)
	if msgs, _, ended := drain(t, events, 5*time.Second); !ended || len(msgs) != 2 || msgs[1] != "done" {
		t.Errorf("stream to the end = %q, ended %v; want the replay and done, then the end", msgs, ended)
	}
	waitFor(t, "no stream left", func() bool {
		f.srv.streams.Wait()
		return subscribers(f.srv, id) == 0
	})
}

// A HEAD of a live log gets the head and no body; a GET with a body (which
// a follower never sends) is still a stream, not ended by the body's bytes.
func TestDeployLogHeadAndBody(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = time.Hour
	tok := f.token("ci", 0)
	host := strings.TrimPrefix(f.http.URL, "http://")
	// raw sends the request head, then body after a pause, and returns
	// what came back within 500ms, and whether the server closed the
	// connection by then
	raw := func(method, id, body string) (string, bool) {
		t.Helper()
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "%s /v1/deploy/%s/logs HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", method, id, host, tok, len(body))
		if body != "" {
			time.Sleep(100 * time.Millisecond)
			fmt.Fprint(conn, body)
		}
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b, err := io.ReadAll(conn)
		return string(b), err == nil
	}
	id := wireID("head")
	f.srv.logs.publish(f.srv.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	got, _ := raw("HEAD", id, "")
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || strings.Contains(got, "keepalive") || strings.Contains(got, "data:") {
		t.Errorf("HEAD logs = %q, want a 200 head without a body", got)
	}
	id = wireID("body")
	f.srv.logs.publish(f.srv.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	got, closed := raw("GET", id, "x")
	if !strings.Contains(got, "data:") || closed {
		t.Errorf("GET logs with a body = %q, closed %v; want the replay on a stream still open", got, closed)
	}
}

// Shutting haloyadm serve down ends the streams it took over, promptly:
// net/http's graceful shutdown does not know of them.
func TestDeployLogEndsOnShutdown(t *testing.T) {
	f := newFixture(t)
	s := New(f.store, f.store, f.notes)
	s.keepalive = time.Hour
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0"})
	tok := f.token("ci", 0)
	id := wireID("shutdown")
	s.logs.publish(s.entry(core.Deployment{ID: id, App: "web"}, "INFO", "pulling"))
	_, events := stream(t, addr, tok, id)
	waitFor(t, "one subscriber", func() bool { return subscribers(s, id) == 1 })
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if _, _, ended := drain(t, events, 5*time.Second); !ended {
		t.Fatal("the stream is still open after Serve returned")
	}
	if took := time.Since(start); took > shutdownTimeout/2 {
		t.Errorf("shutting down with an open stream took %v, want it ended at once", took)
	}
	if n := subscribers(s, id); n != 0 {
		t.Errorf("%d subscribers after the shutdown", n)
	}
}

// Over HTTP/2 a connection cannot be taken over: the stream is served
// within its handler, the same.
func TestDeployLogHTTP2(t *testing.T) {
	f := newFixture(t)
	f.srv.keepalive = 20 * time.Millisecond
	h := httptest.NewUnstartedServer(f.srv.Handler())
	h.EnableHTTP2 = true
	h.StartTLS()
	t.Cleanup(h.Close)
	tok := f.token("ci", 0)
	id := wireID("h2")
	d := core.Deployment{ID: id, App: "web"}
	f.srv.logs.publish(f.srv.entry(d, "INFO", "pulling"))
	req, _ := http.NewRequest("GET", h.URL+"/v1/deploy/"+id+"/logs", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := h.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("GET logs = %s %d, want HTTP/2 200", resp.Proto, resp.StatusCode)
	}
	_, events := streamBody(t, resp)
	if msgs, keepalives, ended := drain(t, events, 200*time.Millisecond); ended || len(msgs) != 1 || keepalives < 2 {
		t.Fatalf("before the end: %q, %d keepalives, ended %v; want the replay, keepalives, still open", msgs, keepalives, ended)
	}
	done := f.srv.entry(d, "INFO", "done")
	done.IsDeploymentComplete = true
	f.srv.logs.publish(done)
	if msgs, _, ended := drain(t, events, 5*time.Second); !ended || len(msgs) != 1 || msgs[0] != "done" {
		t.Errorf("after the end: %q, ended %v; want done, then the end", msgs, ended)
	}
}

// Over haloyadm serve's TLS (HTTP/1.1: it offers no HTTP/2) a stream
// takes its TLS connection over and works the same, with the HSTS header
// of every answer; a client asking for HTTP/2 as haloy's does gets
// HTTP/1.1.
func TestDeployLogOverTLS(t *testing.T) {
	f := newFixture(t)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	s := New(f.store, f.store, f.notes)
	s.keepalive = time.Hour
	addr, stop := serve(t, s, core.ServeOptions{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	defer stop()
	tok := f.token("ci", 0)
	id := wireID("tls")
	d := core.Deployment{ID: id, App: "web"}
	s.logs.publish(s.entry(d, "INFO", "pulling"))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest("GET", addr+"/v1/deploy/"+id+"/logs", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 1 || !resp.Close || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("stream over TLS = %s, close %v, HSTS %q; want HTTP/1.1 on a taken-over connection, with HSTS", resp.Proto, resp.Close, resp.Header.Get("Strict-Transport-Security"))
	}
	_, events := streamBody(t, resp)
	waitFor(t, "one subscriber", func() bool { return subscribers(s, id) == 1 })
	done := s.entry(d, "INFO", "done")
	done.IsDeploymentComplete = true
	s.logs.publish(done)
	if msgs, _, ended := drain(t, events, 5*time.Second); !ended || len(msgs) != 2 || msgs[1] != "done" {
		t.Errorf("stream over TLS = %q, ended %v; want the replay and done, then the end", msgs, ended)
	}
}
