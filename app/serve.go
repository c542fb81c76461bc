package app

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Serve is `haloyadm serve`: the API server, in the foreground.
type Serve struct {
	config ports.ServerConfig
	tokens ports.TokenStore
	api    ports.APIServer
	notes  ports.Notifier
	now    func() time.Time
}

// NewServe returns the use case.
func NewServe(config ports.ServerConfig, tokens ports.TokenStore, api ports.APIServer, notes ports.Notifier) *Serve {
	return &Serve{config: config, tokens: tokens, api: api, notes: notes, now: time.Now}
}

// Run checks the setup, then serves until ctx ends (SIGINT or SIGTERM).
// The listen address is announced as "serving on <url>". Returns a
// *core.Error of Kind Missing if haloyadm is not initialized, of Kind
// Invalid for a bad address or a certificate without its key (or the
// reverse), and of Kind Unsafe if the token store is readable by others.
func (uc *Serve) Run(ctx context.Context, opts core.ServeOptions) error {
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return &core.Error{Kind: core.Invalid, What: "--tls-cert and --tls-key go together",
			Why: "a certificate needs its private key, and a key its certificate",
			Fix: "give both: haloyadm serve --tls-cert fullchain.pem --tls-key privkey.pem"}
	}
	host, port, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return &core.Error{Kind: core.Invalid, What: "invalid listen address " + strconv.Quote(opts.Listen),
			Why: "it is not host:port", Fix: "use e.g. --listen 127.0.0.1:9922 or --listen :443"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &core.Error{Kind: core.Invalid, What: "invalid listen address " + strconv.Quote(opts.Listen),
			Why: "the port " + strconv.Quote(port) + " is not a number from 0 to 65535 (0 picks a free port)",
			Fix: "use e.g. --listen " + net.JoinHostPort(host, "9922")}
	}
	settings, err := uc.config.Load(ctx)
	if err != nil {
		return err
	}
	if _, err := settings.Grace(); err != nil {
		return err
	}
	tokens, err := uc.tokens.List(ctx) // opens the store: refuses loose permissions
	if err != nil {
		return err
	}
	active := 0
	for _, t := range tokens {
		if t.Status(uc.now()) == core.TokenActive {
			active++
		}
	}
	if active == 0 {
		uc.notes.Warn("no active API token: every call will be refused; create one with: haloyadm api token")
	}
	if opts.TLSCert == "" && !isLoopback(host) {
		uc.notes.Warn("serving plain HTTP on " + opts.Listen + ": tokens would cross the network in clear text; " +
			"use --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS reverse proxy")
	}
	err = uc.api.Serve(ctx, opts, func(addr string) { uc.notes.Info("serving on " + addr) })
	if err != nil {
		return err
	}
	uc.notes.Info("stopped")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
