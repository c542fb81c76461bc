// Package execsecret reads secrets from any program that speaks haloy's
// credential-helper protocol (docs/secret-backends.md): haloy runs the
// source's command (no shell) once per source, writes a JSON request on
// its stdin, {"source": "<source setting>", "keys": []} (an empty list
// asks for every key), and reads one JSON answer from its stdout:
// {"values": {"KEY": "value", ...}} or {"error": {"code": "not_found" |
// "not_signed_in" | "unavailable", "message": "...", "fix": "..."}} (a bare
// string error is "unavailable"). No secret goes into the helper's argv.
package execsecret

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider is the name under secret_providers and in references.
const Provider = "exec"

// DefaultTimeout bounds one helper run: long enough for a helper that asks
// a remote vault, short enough that a hung helper does not hang a deploy.
const DefaultTimeout = 60 * time.Second

// Source runs credential helpers. New does no I/O.
type Source struct{ timeout time.Duration }

// New returns a Source with the default timeout.
func New() *Source { return &Source{timeout: DefaultTimeout} }

// NewWithTimeout returns a Source that gives each helper run timeout.
func NewWithTimeout(timeout time.Duration) *Source { return &Source{timeout: timeout} }

// Describe checks src's settings (command, a list: the program and its
// arguments; optionally source, the string sent as the request's source)
// and names the helper, e.g. "credential helper vault-helper (source prod)".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "credential helper", []string{"command"}, []string{"source"}, "command"); err != nil {
		return "", err
	}
	cmd := src.Lists["command"]
	at := "secret_providers." + src.Provider + "." + src.Name
	if strings.TrimSpace(cmd[0]) == "" {
		return "", &core.Error{Kind: core.Invalid, What: at + ".command names no program",
			Why: "its first element is empty", Fix: "write command: [program, arg, ...]"}
	}
	label := "credential helper " + filepath.Base(cmd[0])
	if v := src.Settings["source"]; v != "" {
		label += " (source " + v + ")"
	}
	return label, nil
}

// request is what a helper reads on stdin.
type request struct {
	Source string   `json:"source"`
	Keys   []string `json:"keys"`
}

// answer is what a helper writes on stdout.
type answer struct {
	Values json.RawMessage `json:"values"`
	Error  json.RawMessage `json:"error"`
}

type helperError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Fields runs src's helper once and returns the values it answers.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	at := "secret_providers." + src.Provider + "." + src.Name
	what := "cannot read " + label
	argv := src.Lists["command"]
	bin := argv[0]
	// A relative path names a program next to the config file; a bare
	// name is looked up in PATH.
	if strings.ContainsRune(bin, filepath.Separator) && !filepath.IsAbs(bin) && src.Dir != "" {
		bin = filepath.Join(src.Dir, bin)
	}
	body, err := json.Marshal(request{Source: src.Settings["source"], Keys: []string{}})
	if err != nil {
		return nil, err
	}
	byHand := "echo '" + string(body) + "' | " + strings.Join(argv, " ")
	out, _, err := runcli.Run(ctx, runcli.Cmd{Bin: bin, Args: argv[1:], Stdin: body, Dir: src.Dir, Timeout: s.timeout})
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the program " + strconv.Quote(argv[0]) + " is not installed or not on PATH",
			Fix: "install it, or fix command: under " + at}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "the helper did not answer within " + s.timeout.String(),
			Fix: "run it by hand to see why: " + byHand}
	case err != nil && !errors.As(err, &exitErr):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "cannot run the helper: " + err.Error(), Fix: "fix command: under " + at}
	}
	var a answer
	d := json.NewDecoder(bytes.NewReader(out))
	if derr := d.Decode(&a); derr != nil || (a.Values == nil && a.Error == nil) {
		// Never quote stdout: it may hold secrets.
		why := "the helper's answer is not {\"values\": {...}} or {\"error\": ...} in JSON"
		if exitErr != nil {
			why = "the helper exited with status " + strconv.Itoa(exitErr.ExitCode()) + " without an answer"
		}
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: why, Fix: "run it by hand to see why: " + byHand}
	}
	if a.Error != nil && string(a.Error) != "null" {
		return nil, helperFailure(what, at, a.Error)
	}
	fields, ok := runcli.ObjectFields(a.Values)
	if !ok {
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "the helper's \"values\" is not a JSON object",
			Fix: "run it by hand to see why: " + byHand}
	}
	return fields, nil
}

// helperFailure turns a helper's {"error": ...} into an error. The helper
// chose the message; it is quoted as given.
func helperFailure(what, at string, raw json.RawMessage) error {
	var e helperError
	if json.Unmarshal(raw, &e.Message) != nil {
		if json.Unmarshal(raw, &e) != nil {
			e.Message = "an error it did not describe"
		}
	}
	if e.Message == "" {
		e.Message = "an error it did not describe"
	}
	ce := &core.Error{Kind: core.Unavailable, What: what, Why: "the helper answered: " + e.Message, Fix: e.Fix}
	switch e.Code {
	case "not_found":
		ce.Kind = core.NotFound
		if ce.Fix == "" {
			ce.Fix = "fix source: under " + at
		}
	case "not_signed_in":
		ce.Kind = core.Missing
		if ce.Fix == "" {
			ce.Fix = "sign in to the helper's backend, then run the command again"
		}
	}
	if ce.Fix == "" {
		ce.Fix = "see the helper's documentation"
	}
	return ce
}
