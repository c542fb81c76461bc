package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// handleDeployLogs streams a deployment's log as server-sent events: the
// last entries first (a late subscriber misses nothing), then each entry as
// it is published, with a keepalive comment when nothing else is sent,
// until an entry ends the deployment, the client leaves, the server shuts
// down, or the caller's token is revoked or expires (checked every
// tokenRecheck, once for all of the token's streams).
//
// A stream that stays open takes its HTTP/1.x connection over from
// net/http and is served by a goroutine of its own: net/http's goroutine
// for the connection, its read-ahead goroutine and its three buffers
// (about 30 KiB of stacks and buffers) would otherwise stay with every
// idle follower. Over HTTP/2, which cannot hand a connection over, the
// stream is served within the handler.
func (s *Server) handleDeployLogs(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id") // checked by its AppFinder
	replay, live, cancel, ok := s.logs.subscribe(id)
	if !ok {
		// not in memory (the server restarted, or it was evicted): a
		// recorded deployment was complete when it was recorded
		rec, found, err := s.deploys.Find(r.Context(), id)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if !found {
			writeError(w, http.StatusNotFound, "unknown deployment "+id)
			return
		}
		done := s.entry(rec.Deployment, "INFO", "deployment complete: recorded; haloyadm serve runs no containers")
		done.Timestamp = rec.ReceivedAt
		done.IsDeploymentComplete, done.IsDeploymentSuccess = true, true
		replay = []core.LogEntry{done}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	a, _ := r.Context().Value(ctxKey{}).(authed)
	// only a plain GET: a HEAD's answer has no body, and the bytes of a
	// request body would read as the client leaving
	if live != nil && r.Method == http.MethodGet && r.ContentLength == 0 {
		// counted while net/http still counts the connection, so that
		// Serve's wait for the streams cannot begin before it
		s.streams.Add(1)
		out, taken := s.takeOver(w)
		switch {
		case out != nil:
			go func() {
				defer s.streams.Done()
				s.follow(out, replay, live, cancel, a)
			}()
			return
		case taken:
			cancel()
			s.streams.Done()
			return
		}
		s.streams.Done()
	}
	// the server's write timeout is for ordinary answers: a stream gets a
	// fresh deadline before each write instead, so it lasts as long as the
	// deployment while a client that stops reading is still cut off
	rc := http.NewResponseController(w)
	out := &sseOut{
		write: func(p []byte) bool {
			if err := rc.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
				return false
			}
			if _, err := w.Write(p); err != nil {
				return false
			}
			return rc.Flush() == nil
		},
		gone:  r.Context().Done(),
		close: func() {},
	}
	w.WriteHeader(http.StatusOK)
	s.follow(out, replay, live, cancel, a)
}

// sseOut is where a stream goes: the handler's ResponseWriter, or the
// connection taken over from net/http.
type sseOut struct {
	// write sends p within the server's write timeout, and reports
	// whether it went
	write func(p []byte) bool
	// gone is closed once the client left
	gone <-chan struct{}
	// close ends the stream's connection, if the stream owns it
	close func()
}

// takeOver takes w's connection over from net/http (HTTP/1.x only) and
// writes the answer's head on it. taken is false when w cannot be taken
// over; out is nil when it was taken but the head could not be written (the
// connection is closed then: nothing is left to do).
func (s *Server) takeOver(w http.ResponseWriter) (out *sseOut, taken bool) {
	h := w.Header().Clone()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false // HTTP/2, or a test's recorder
	}
	// net/http's read and write deadlines of the request stay on a
	// connection taken over: each write sets its own from now on
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, true
	}
	// no Content-Length and no chunking: the body ends when the
	// connection does, which Connection: close tells the client
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	_ = h.Write(&head)
	head.WriteString("\r\n")
	write := func(p []byte) bool {
		if err := conn.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
			return false
		}
		_, err := conn.Write(p)
		return err == nil
	}
	if !write(head.Bytes()) {
		conn.Close()
		return nil, true
	}
	return &sseOut{write: write, gone: readUntilGone(conn), close: func() { conn.Close() }}, true
}

// readUntilGone returns a channel closed once conn's client closed it (or
// sent anything at all: a follower sends nothing after its request), or
// once conn was closed here.
func readUntilGone(conn net.Conn) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		var b [1]byte
		_, _ = conn.Read(b[:])
	}()
	return gone
}

// follow sends a stream's replay, then its live entries, with keepalives,
// until its deployment ends, its client leaves, the server shuts down or
// the caller's token is no longer valid; then it cancels the subscription
// and closes out.
func (s *Server) follow(out *sseOut, replay []core.LogEntry, live *subscription, cancel func(), a authed) {
	defer out.close()
	defer cancel()
	send := func(e core.LogEntry) (more bool) {
		data, err := json.Marshal(e)
		return err == nil && out.write(fmt.Appendf(nil, "data: %s\n\n", data)) && !e.Ends()
	}
	if !out.write([]byte(": keepalive\n\n")) {
		return
	}
	for _, e := range replay {
		if !send(e) {
			return
		}
	}
	if live == nil {
		return
	}
	revoked, release := s.watchToken(a)
	defer release()
	keepalive := time.NewTicker(s.keepalive)
	defer keepalive.Stop()
	for {
		select {
		case <-out.gone:
			return
		case <-s.stopping:
			return
		case <-revoked:
			return
		case <-keepalive.C:
			if !out.write([]byte(": keepalive\n\n")) {
				return
			}
		case <-live.wake:
			entries, ok := s.logs.take(live)
			if !ok {
				return // it fell behind: its client resumes with the replay
			}
			for _, e := range entries {
				if !send(e) {
					return
				}
			}
		}
	}
}
