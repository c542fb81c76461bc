// Package core holds the pure domain of haloy: server naming, token variable
// derivation, app configuration rules, server selection and token resolution.
// It does no I/O and imports nothing of ours.
package core

import (
	"strconv"
	"strings"
)

// Kind classifies a user-facing failure; the CLI maps it to an exit code.
type Kind int

// The kinds of failure. The CLI maps Invalid and Missing to exit 2 (usage or
// configuration error), Unauthorized to exit 3, and every other kind to exit 1.
const (
	// Internal is a bug or an unexpected condition.
	Internal Kind = iota
	// Invalid is bad input: a malformed server name, token, config file or flag.
	Invalid
	// Missing is something required that is not there: an unset variable, no server configured, op not installed.
	Missing
	// NotFound is a named thing that does not exist: an unknown server, token, target or app.
	NotFound
	// Conflict is a clash with existing state: a server added twice without --force, a taken token name.
	Conflict
	// Unauthorized is a credential the server rejected: invalid, revoked or expired token.
	Unauthorized
	// Unavailable is a network or remote failure: refused connection, DNS, TLS, timeouts, rate limits.
	Unavailable
	// Unsafe is a refusal for safety: loose file permissions, a token over plain HTTP to a remote host.
	Unsafe
	// Interrupted is work stopped by the user (Ctrl-C, SIGTERM); What says
	// what was left undone. The CLI exits 130, as shells do for SIGINT.
	Interrupted
)

// Error is a user-facing failure: what went wrong, why, and how to fix it.
// Build it where the cause is known, with the offending value and a fix the
// user can paste. It never contains a token or secret value.
type Error struct {
	Kind Kind
	What string // what failed, e.g. `no API token for server "production.haloy.com"`
	Why  string // why, e.g. `PRODUCTION_DEPLOY_TOKEN is not set`
	Fix  string // how to fix it, e.g. `export PRODUCTION_DEPLOY_TOKEN=<token>, or add it to .env`
	Err  error  // the underlying cause, if any; never shown in place of What
}

// Error joins What and Why on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Why != "" {
		b.WriteString(": ")
		b.WriteString(e.Why)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// NotADirectory is the error for a configured directory (named by the
// variable env, e.g. HALOY_CONFIG_DIR) that exists but is not a directory:
// a usage error, since nothing can be stored in it and nothing was changed.
func NotADirectory(what, dir, env string) error {
	return &Error{Kind: Invalid, What: what + " " + strconv.Quote(dir) + " is not a directory",
		Why: "it is a file; " + env + " (or its default) must name a directory, which haloy creates when missing",
		Fix: "export " + env + "=<a directory of yours>, or move the file away"}
}
