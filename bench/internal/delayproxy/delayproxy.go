// Package delayproxy is the bench's stand-in for a distant server: a
// reverse proxy on loopback that holds every response for a fixed delay
// before passing it on, so that a client's wall time shows whether it waits
// for servers one after the other or all at once.
package delayproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// Proxy forwards requests to one backend, delaying each response.
type Proxy struct {
	// URL is the proxy's own address, e.g. http://127.0.0.1:41234.
	URL string
	// Addr is URL's host:port, e.g. 127.0.0.1:41234.
	Addr string

	srv *http.Server
	ln  net.Listener
}

// Start listens on a free loopback port and forwards every request to
// backend, holding each answer for delay after the backend gave it.
func Start(backend string, delay time.Duration) (*Proxy, error) {
	u, err := url.Parse(backend)
	if err != nil {
		return nil, fmt.Errorf("parse backend %q: %w", backend, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for proxy: %w", err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &held{header: http.Header{}}
		rp.ServeHTTP(rec, r)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body)
	})
	p := &Proxy{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the proxy and waits up to 5 seconds for requests in flight.
func (p *Proxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("close proxy %s: %w", p.Addr, err)
	}
	return nil
}

// held is the backend's response, kept until the delay is over.
type held struct {
	header http.Header
	code   int
	body   []byte
}

func (h *held) Header() http.Header { return h.header }

func (h *held) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

func (h *held) Write(b []byte) (int, error) {
	if h.code == 0 {
		h.code = http.StatusOK
	}
	h.body = append(h.body, b...)
	return len(b), nil
}
