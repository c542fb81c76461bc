package app

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// configDirEnv and configDirLocal name the client config directory's .env
// and .env.local as env layers.
const (
	configDirEnv   = "the config directory's .env"
	configDirLocal = "the config directory's .env.local"
)

// expiryWarning is how long before its expiry a token is mentioned.
const expiryWarning = 14 * 24 * time.Hour

// clientEnv layers the process environment over the config directory's
// .env, as the client store's tokens are looked up.
func clientEnv(st core.ClientState, env ports.Env) core.Env {
	return core.Env{{Name: "", Lookup: env.Lookup}, {Name: configDirLocal, Lookup: core.MapLookup(st.Local)}, {Name: configDirEnv, Lookup: core.MapLookup(st.Tokens)}}
}

// storeEndpoint returns the endpoint of server (normalized) with its token
// from the client store: the variable client.yaml names for it, else
// HALOY_API_TOKEN. A server that is not configured, with HALOY_API_TOKEN
// unset, is a *core.Error of Kind NotFound that lists the configured ones.
func storeEndpoint(st core.ClientState, env ports.Env, server string) (core.Endpoint, error) {
	key, known := st.Key(server)
	ref := st.Servers[key]
	r, err := core.ResolveToken(core.TokenInput{Server: server, Servers: st.Servers, Env: clientEnv(st, env), File: "client.yaml"})
	if err != nil {
		if !known {
			return core.Endpoint{}, unknownServer(st, server)
		}
		return core.Endpoint{}, err
	}
	ep := core.Endpoint{Server: server, CACert: ref.CACert, Token: r.Value, TokenSource: r.Source}
	switch {
	case !known || ref.TokenEnv == "" || !strings.HasPrefix(r.Source, "client store "):
		ep.TokenFix = "export " + core.HaloyAPITokenEnv + "=<new-token>, or haloy server add " + server + " --token-stdin"
	case inConfigLocal(r.Source):
		ep.TokenFix = localFix(ref.TokenEnv)
	}
	return ep, nil
}

// inConfigLocal reports whether a token source is the config directory's
// .env.local, which haloy reads but never writes.
func inConfigLocal(source string) bool {
	return strings.HasSuffix(source, "(set in "+configDirLocal+")")
}

// localFix says how to replace a token kept in the config directory's
// .env.local in variable env.
func localFix(env string) string {
	return "put " + env + "=<new-token> in .env.local in haloy's config directory, where it is set (haloy never writes that file)"
}

// unknownServer is the NotFound error for a server that is not configured.
func unknownServer(st core.ClientState, server string) error {
	names := st.ServerNames()
	if len(names) == 0 {
		return &core.Error{Kind: core.NotFound, What: "unknown server " + strconv.Quote(server),
			Why: "no servers are configured", Fix: "haloy server add " + server + " --token-stdin"}
	}
	return &core.Error{Kind: core.NotFound, What: "unknown server " + strconv.Quote(server),
		Why: "configured: " + strings.Join(names, ", "), Fix: "haloy server list"}
}

// normalizeConfigured normalizes raw and checks that it is configured.
func normalizeConfigured(st core.ClientState, raw string) (string, error) {
	s, err := core.NormalizeServer(raw)
	if err != nil {
		return "", err
	}
	if _, ok := st.Key(s); !ok {
		return "", unknownServer(st, s)
	}
	return s, nil
}

// expiryNote returns a warning when the token v describes expires within
// two weeks of now, or "".
func expiryNote(ep core.Endpoint, v core.VersionResponse, now time.Time) string {
	server := ep.Server
	if v.TokenExpiresAt == nil {
		return ""
	}
	left := v.TokenExpiresAt.Sub(now)
	if left > expiryWarning {
		return ""
	}
	name := "the token"
	if v.TokenName != "" {
		name = "token " + strconv.Quote(v.TokenName)
	}
	// the fix replaces the token where it came from: .env.staging, the
	// environment, a secret provider, or the client store
	// a stored token rotates in one command; any other is replaced where it lives
	fix := "replace it: haloy server rotate " + server
	if ep.TokenFix != "" {
		fix = "on the server: sudo haloyadm api token, then: " + ep.TokenFix
	}
	return fmt.Sprintf("%s for %s expires in %s (%s); %s",
		name, server, roundDays(left), v.TokenExpiresAt.UTC().Format(time.DateOnly), fix)
}

// roundDays prints a duration as people read it: to the nearest day, or
// hour under two days (a token made with --expires 10d a second ago
// expires "in 10 days", not 9).
func roundDays(d time.Duration) string {
	if d < 47*time.Hour+30*time.Minute {
		h := int(d.Round(time.Hour).Hours())
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	return fmt.Sprintf("%d days", int(d.Round(24*time.Hour).Hours()/24))
}

// targetEndpoint returns the endpoint of a resolved target: its server, the
// server's CA file from the client store, and its token with how to replace
// it where it came from.
func targetEndpoint(t ResolvedTarget, st core.ClientState, file string) core.Endpoint {
	key, _ := st.Key(t.Server)
	ep := core.Endpoint{Server: t.Server, CACert: st.Servers[key].CACert, Token: t.Token, TokenSource: t.TokenSource}
	tok := t.Config.APIToken
	switch {
	case tok != nil && tok.From != nil && tok.From.Env != "":
		ep.TokenFix = "export " + tok.From.Env + "=<new-token>, or put " + tok.From.Env + "=<new-token> in .env beside " + file
	case tok != nil && tok.From != nil && tok.From.Secret != "":
		ep.TokenFix = "store <new-token> where " + tok.From.Secret + " points (api_token.from.secret in " + file + ")"
	case tok != nil && tok.Value != "":
		ep.TokenFix = "replace api_token.value in " + file + ", better with api_token.from.env and the token in .env"
	case strings.HasPrefix(t.TokenSource, "fallback "):
		ep.TokenFix = "export " + core.HaloyAPITokenEnv + "=<new-token>, or haloy server add " + t.Server + " --token-stdin"
	case inConfigLocal(t.TokenSource):
		ep.TokenFix = localFix(st.Servers[key].TokenEnv)
	}
	return ep
}

// NoExpiryWarningEnv silences expiry warnings when set to 1, as --quiet does.
const NoExpiryWarningEnv = "HALOY_NO_EXPIRY_WARNING"

// expiryWarner says at most once per server per command that a token
// expires soon; it says nothing when quiet (--quiet, or
// HALOY_NO_EXPIRY_WARNING=1).
type expiryWarner struct {
	mu    sync.Mutex
	quiet bool
	seen  map[string]bool
}

func newExpiryWarner(env ports.Env, quiet bool) *expiryWarner {
	if v, ok := env.Lookup(NoExpiryWarningEnv); ok && v == "1" {
		quiet = true
	}
	return &expiryWarner{quiet: quiet, seen: map[string]bool{}}
}

// note returns the warning for ep's token, which the server describes in
// v, the first time a server's token is due one; "" otherwise.
func (w *expiryWarner) note(ep core.Endpoint, v core.VersionResponse, now time.Time) string {
	// a token exchanged for a CI identity lives minutes by design
	if w.quiet || strings.Contains(ep.TokenSource, ", exchanged for token ") {
		return ""
	}
	n := expiryNote(ep, v, now)
	if n == "" {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[ep.Server] {
		return ""
	}
	w.seen[ep.Server] = true
	return n
}
