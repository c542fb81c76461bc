package core

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Endpoint is one server as the client calls it: where it is, which CA its
// certificate must chain to, and the token to present with where that token
// came from. The token is a Secret, so printing an Endpoint never shows it.
type Endpoint struct {
	// Server is the normalized server name, e.g. "production.haloy.com" or
	// "localhost:9922".
	Server string
	// CACert is an optional PEM file of CA certificates; when set, the
	// server's certificate must chain to one of them (and to nothing else).
	CACert string
	// Token is the API token; empty for calls that need none (/health).
	Token Secret
	// TokenSource says where the token came from, for messages, e.g.
	// "env PROD_TOKEN" or "client store HALOY_API_TOKEN_PROD_HALOY_COM".
	TokenSource string
	// TokenFix is how to replace a rejected token when it came from the app
	// config (e.g. "put the new token in PROD_TOKEN"); empty means it came
	// from the client store, whose fix is 'haloy server add ... --force'.
	TokenFix string
}

// plainHosts are the hosts a client reaches over plain HTTP, as Haloy does:
// exactly these names, not every loopback address, so that a test server on
// 127.0.0.2 is reached over HTTPS.
var plainHosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

// ServerHost returns the host of a normalized server name, without its port
// or the brackets of an IPv6 address.
func ServerHost(server string) string {
	if h, _, err := net.SplitHostPort(server); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(server, "["), "]")
}

// IsPlainHTTP reports whether server is reached over plain HTTP: only
// localhost, 127.0.0.1 and ::1, with or without a port.
func IsPlainHTTP(server string) bool { return plainHosts[strings.ToLower(ServerHost(server))] }

// BaseURL returns the URL the API of a normalized server lives at: http:// for
// localhost, 127.0.0.1 and ::1 (port kept), https:// for everything else.
// BaseURL("localhost:9922") = "http://localhost:9922";
// BaseURL("production.haloy.com") = "https://production.haloy.com".
func BaseURL(server string) string {
	host := ServerHost(server)
	if strings.Contains(host, ":") && !strings.HasPrefix(server, "[") {
		// a bare IPv6 address (::1) needs its brackets in a URL
		server = "[" + host + "]"
	}
	if IsPlainHTTP(server) {
		return "http://" + server
	}
	return "https://" + server
}

// TokenRejected is the error for a server that answered 401 or 403: which
// server, where the rejected token came from, and how to get a new one in
// place. It never contains the token.
func TokenRejected(ep Endpoint) *Error {
	// sources read "from env X" or "client store X": one "from" is enough
	source := strings.TrimPrefix(ep.TokenSource, "from ")
	if source == "" {
		source = "the configuration"
	}
	fix := ep.TokenFix
	if fix == "" {
		fix = "haloy server add " + ep.Server + " --force --token-stdin"
	}
	return &Error{
		Kind: Unauthorized,
		What: "authentication failed for " + strconv.Quote(ep.Server),
		Why:  "the token from " + source + " was rejected (invalid, revoked or expired)",
		Fix:  "on the server: sudo haloyadm api token; then: " + fix,
	}
}

// TokenForbidden is the error for a server that answered 403: the token is
// valid but lacks the scope the call needs (need, from the answer's
// Haloy-Accepted-Scopes; the weakest accepted) or is not for the app it
// touches. It names the token, what it lacks, and the command that makes a
// token that can, never a token.
func TokenForbidden(ep Endpoint, er ErrorResponse, accepted []Scope) *Error {
	source := strings.TrimPrefix(ep.TokenSource, "from ")
	if source == "" {
		source = "the configuration"
	}
	token := "the token"
	if er.Token != "" {
		token = "token " + strconv.Quote(er.Token)
	}
	need := er.MissingScope
	if need == "" && len(accepted) > 0 {
		need = accepted[0]
	}
	var what string
	switch {
	case er.MissingScope != "":
		what = fmt.Sprintf("%s lacks the %s scope on %q", token, er.MissingScope, ep.Server)
	case er.App != "":
		what = fmt.Sprintf("%s is not for app %q on %q", token, er.App, ep.Server)
	default:
		what = fmt.Sprintf("%s may not do this on %q", token, ep.Server)
	}
	name := er.Token
	if name == "" {
		name = "ci"
	}
	flags := ""
	if need != "" {
		flags += " --scope " + string(need)
		if er.App == "" {
			name += "-" + string(need)
		}
	}
	if er.App != "" {
		flags += " --app " + er.App
		name = "ci-" + er.App
	}
	fix := ep.TokenFix
	if fix == "" {
		fix = "haloy server add " + ep.Server + " --force --token-stdin"
	}
	why := "the token from " + source + " was refused (HTTP 403)"
	if len(accepted) > 0 {
		why += "; this call needs one of the scopes " + JoinScopes(accepted)
	}
	return &Error{Kind: Unauthorized, What: what, Why: why,
		Fix: "on the server: sudo haloyadm api token --name " + name + flags + "; then: " + fix}
}

// ParseAcceptedScopes reads a Haloy-Accepted-Scopes header ("deploy,
// admin"), keeping only known scopes.
func ParseAcceptedScopes(h string) []Scope {
	var out []Scope
	for _, p := range strings.Split(h, ",") {
		s := Scope(strings.TrimSpace(p))
		if s.rank() >= 0 {
			out = append(out, s)
		}
	}
	return out
}
