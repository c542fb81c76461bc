package httpserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRevokeDuringBody: a deploy whose token is revoked while its body is
// still arriving is refused, not recorded (it was recorded 5 s after the
// revoke): the token is checked again once the body is read.
func TestRevokeDuringBody(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	code, body := revokeMidBody(t, f, tok, "/v1/deploy", deployBody("d-slow", "web"))
	if code != 401 {
		t.Errorf("POST /v1/deploy whose token was revoked mid-body = %d %s, want 401", code, body)
	}
	recs, err := f.store.History(context.Background(), "web")
	if err != nil || len(recs) != 0 {
		t.Errorf("deployments recorded after the revoke = %d (%v), want none", len(recs), err)
	}
	if !strings.Contains(strings.Join(f.notes.Infos, "\n"), `reason=revoked token "ci" (while its request was arriving)`) {
		t.Errorf("log = %q, want the refusal after the body", f.notes.Infos)
	}
}

// TestRevokeDuringBodyTokenRoute: the same for a route that reads its own
// body: an admin token revoked while its POST /v1/tokens arrives mints
// nothing.
func TestRevokeDuringBodyTokenRoute(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	code, body := revokeMidBody(t, f, tok, "/v1/tokens", `{"name":"minted-late","scopes":["read"]}`)
	if code != 401 {
		t.Errorf("POST /v1/tokens whose token was revoked mid-body = %d %s, want 401", code, body)
	}
	list, err := f.store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range list {
		if rec.Name == "minted-late" {
			t.Errorf("a token was minted after its caller was revoked: %+v", rec)
		}
	}
}

// revokeMidBody sends half of body with tok, revokes tok through another
// handle once the request was authenticated, sends the rest, and returns
// the answer.
func revokeMidBody(t *testing.T, f *fixture, tok, path, body string) (int, string) {
	t.Helper()
	other := f.openStore()
	authenticated := make(chan struct{})
	var once sync.Once
	f.srv.now = func() time.Time {
		once.Do(func() { close(authenticated) })
		return f.clock.now()
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", f.http.URL+path, pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		r, err := f.http.Client().Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		done <- result{code: r.StatusCode, body: string(b)}
	}()
	half := len(body) / 2
	pw.Write([]byte(body[:half]))
	select {
	case <-authenticated:
	case <-time.After(10 * time.Second):
		t.Fatal("the request was never authenticated")
	}
	time.Sleep(100 * time.Millisecond) // the first check ends: the token was valid then
	if _, err := other.Revoke(context.Background(), "ci", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte(body[half:]))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.code, r.body
}
