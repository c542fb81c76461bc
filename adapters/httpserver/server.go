// Package httpserver serves haloyadm's HTTP API: /health without a token,
// and every /v1/ route behind a bearer token checked against the token
// store on each request, with failed attempts rate-limited per client IP.
package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.APIServer = (*Server)(nil)

// Server limits and timeouts.
const (
	// MaxBodyBytes caps a request body; a deployment is a few kilobytes.
	MaxBodyBytes = 1 << 20
	// FailureBurst failed attempts are allowed from one IP before 429s.
	FailureBurst = 10
	// FailureRefill is how often one more failed attempt is allowed.
	FailureRefill = 6 * time.Second

	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	keepalive         = 30 * time.Second
	tokenRecheck      = 250 * time.Millisecond
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 10 * time.Second
	maxHeaderBytes    = 64 << 10
)

// Server is the API server. New does no I/O.
type Server struct {
	tokens  ports.TokenVerifier
	deploys ports.DeploymentLog
	notes   ports.Notifier
	now     func() time.Time
	fails   *failures
	touch   *toucher
	trusted []netip.Prefix // --trusted-proxy
	// fatal receives the error that must stop Serve (the token store gone)
	fatal    chan error
	goneOnce sync.Once
	version  string
	// exchange answers POST /v1/oidc/token; nil: no such route
	exchange ports.TokenExchanger
	// listen is the address the default OIDC audience names
	listen string
	// admin serves the token routes; nil leaves them out
	admin ports.TokenAdmin

	logs *logs
	// versions keeps the encoded answers of GET /v1/version
	versions *versionBodies
	// watches ends the streams of a revoked or expired token
	watches *tokenWatch
	// streams counts the log streams served outside net/http (their
	// connections taken over), which Serve ends through stopping when it
	// shuts down
	streams  sync.WaitGroup
	stopping chan struct{}
	stopOnce sync.Once
	// lines bounds repeated log lines (auth failures, TLS handshake errors)
	lines *lineLimiter

	// writeTimeout bounds writing an answer, or one write of a stream;
	// keepalive is how often a quiet stream gets a comment; tokenRecheck
	// how often the token of open streams is looked up again. Tests
	// shorten them.
	writeTimeout, keepalive, tokenRecheck time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithTokenAdmin adds the token routes (/v1/token/rotate,
// /v1/token/revoke, /v1/tokens), served by a.
func WithTokenAdmin(a ports.TokenAdmin) Option { return func(s *Server) { s.admin = a } }

// New returns a server that checks tokens with tokens, records deployments
// in deploys, and reports auth failures and its address through notes.
func New(tokens ports.TokenVerifier, deploys ports.DeploymentLog, notes ports.Notifier, opts ...Option) *Server {
	s := &Server{tokens: tokens, deploys: deploys, notes: notes, now: time.Now,
		fails: newFailures(FailureRefill, FailureBurst), touch: newToucher(tokens, notes), fatal: make(chan error, 1), version: "dev", logs: newLogs(), versions: newVersionBodies(), watches: newTokenWatch(), stopping: make(chan struct{}), lines: newLineLimiter(notes),
		writeTimeout: writeTimeout, keepalive: keepalive, tokenRecheck: tokenRecheck}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Serve listens on opts.Listen (TLS 1.2 or later when given a certificate,
// reloaded when its files change) and serves until ctx ends, then shuts down gracefully, letting requests in
// flight finish for up to 10 seconds.
func (s *Server) Serve(ctx context.Context, opts core.ServeOptions, ready func(addr string)) error {
	if opts.Version != "" {
		s.version = opts.Version
	}
	trusted, err := parseTrusted(opts.TrustedProxies)
	if err != nil {
		return err
	}
	s.trusted = trusted
	var tlsConf *tls.Config
	if opts.TLSCert != "" || opts.TLSKey != "" {
		certs, err := newCertReloader(opts.TLSCert, opts.TLSKey, s.notes, s.now)
		if err != nil {
			return &core.Error{Kind: core.Invalid, What: fmt.Sprintf("cannot load TLS certificate %q and key %q", opts.TLSCert, opts.TLSKey),
				Why: err.Error(), Fix: "give PEM files: --tls-cert fullchain.pem --tls-key privkey.pem", Err: err}
		}
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Listen)
	if err != nil {
		return &core.Error{Kind: core.Unavailable, What: "cannot listen on " + strconv.Quote(opts.Listen),
			Why: err.Error(), Fix: "choose another address with --listen, or stop the program using the port", Err: err}
	}
	scheme := "http"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// "OPTIONS *" goes to the mux (400) instead of net/http's blanket 200
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     log.New(noteWriter{s.lines}, "", 0),
	}
	s.listen = opts.Listen
	if strings.HasSuffix(opts.Listen, ":0") {
		s.listen = ln.Addr().String() // the port picked for port 0
	}
	ready(scheme + "://" + ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go s.watchStore(wctx)
	var fatal error
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", opts.Listen, err)
	case fatal = <-s.fatal:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	s.stopOnce.Do(func() { close(s.stopping) }) // the streams net/http does not know of
	err = srv.Shutdown(sctx)
	s.waitStreams(sctx)
	s.touch.wait(sctx) // the last uses, within the same bound
	s.lines.flush()
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && serr != nil {
		return fmt.Errorf("serve on %s: %w", opts.Listen, serr)
	}
	if fatal != nil {
		return fatal // exit non-zero: a supervisor restarts haloyadm
	}
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// waitStreams waits until every log stream served outside net/http has
// ended, or ctx ends.
func (s *Server) waitStreams(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.streams.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// storeCheckEvery is how often Serve asks the token store whether its file
// is still the one it opened, when no request asks.
const storeCheckEvery = 2 * time.Second

// watchStore notices a token store removed or replaced even when no
// request comes, by a lookup of a hash no token has.
func (s *Server) watchStore(ctx context.Context) {
	t := time.NewTicker(storeCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, _, err := s.tokens.Lookup(ctx, core.TokenHash{}); errors.Is(err, ports.ErrStoreGone) {
				s.storeGone(err)
			}
		}
	}
}

// storeGone fails closed once the token store was removed or replaced:
// every request is refused from then on (by the store), the reason is
// logged once, and Serve stops with the error, so that haloyadm exits
// non-zero and its supervisor restarts it on the right database.
func (s *Server) storeGone(err error) {
	s.goneOnce.Do(func() {
		s.notes.Warn(fmt.Sprintf("%v; refusing every token and stopping", err))
		s.fatal <- err
	})
}
