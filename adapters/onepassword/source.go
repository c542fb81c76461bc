// Package onepassword reads secret items with the 1Password CLI (op): one
// `op item get <item> --vault <vault> [--account <account>] --format json`
// per item, whose fields' labels and values it returns. No secret ever goes
// into op's argv: only the names of the vault, item and account.
package onepassword

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider is the name under secret_providers and in references.
const Provider = "onepassword"

// DefaultTimeout bounds one op call: long enough to approve a desktop
// unlock prompt, short enough that a hung op does not hang a deploy.
const DefaultTimeout = 60 * time.Second

// Source reads items with the op CLI. New does no I/O; errors surface on
// first use.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "op" from PATH.
func New() *Source { return &Source{bin: "op", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the op program at bin and gives each
// call timeout (tests drive a fake op with it).
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings and names the item (core.DescribeOnePassword).
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	return core.DescribeOnePassword(src)
}

// item is the part of `op item get --format json` output we read.
type item struct {
	Fields []struct {
		Label string `json:"label"`
		Value any    `json:"value"`
	} `json:"fields"`
}

// Fields runs op once for src's item and returns its fields by label. A
// field without a value (op's built-in notesPlain) is left out; of several
// fields with one label the first wins.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	itemName, vault := src.Settings["item"], src.Settings["vault"]
	args := []string{"item", "get", itemName, "--vault", vault}
	if a := src.Settings["account"]; a != "" {
		args = append(args, "--account", a)
	}
	args = append(args, "--format", "json")
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	what := "cannot read " + label
	err = cmd.Run()
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return nil, &core.Error{Kind: core.Missing, What: what,
			Why: "the 1Password CLI (op) is not installed or not on PATH",
			Fix: "install op (https://developer.1password.com/docs/cli/get-started/), then run 'op signin'"}
	case ctx.Err() == context.DeadlineExceeded:
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: "op did not answer within " + s.timeout.String(),
			Fix: "unlock 1Password or run 'op signin', then run the command again"}
	case err != nil:
		return nil, classify(what, itemName, vault, stderr.String(), err)
	}
	var it item
	if err := json.Unmarshal(stdout.Bytes(), &it); err != nil {
		// Never quote stdout: it holds the item's secrets.
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: "op printed something other than an item in JSON", Fix: "update op (op update), then run the command again"}
	}
	fields := make(map[string]core.Secret, len(it.Fields))
	for _, f := range it.Fields {
		if _, dup := fields[f.Label]; dup || f.Label == "" {
			continue
		}
		switch v := f.Value.(type) {
		case string:
			fields[f.Label] = core.Secret(v)
		case nil:
			// Built-in fields such as notesPlain come without a value.
			continue
		default:
			b, _ := json.Marshal(v)
			fields[f.Label] = core.Secret(b)
		}
	}
	return fields, nil
}

// classify turns op's error output into an error a user can act on. op's
// messages name items and vaults, never secret values.
func classify(what, itemName, vault, stderr string, err error) error {
	msg := opMessage(stderr)
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "isn't an item"):
		return &core.Error{Kind: core.NotFound, What: "1Password item " + strconv.Quote(itemName) + " not found in vault " + strconv.Quote(vault),
			Why: msg, Fix: "op item list --vault " + strconv.Quote(vault) + " shows the item names; fix item: in secret_providers"}
	case strings.Contains(low, "isn't a vault"):
		return &core.Error{Kind: core.NotFound, What: "1Password vault " + strconv.Quote(vault) + " not found",
			Why: msg, Fix: "op vault list shows the vault names; fix vault: in secret_providers"}
	case strings.Contains(low, "more than one item matches"):
		return &core.Error{Kind: core.Invalid, What: what, Why: msg,
			Fix: "give the item's ID as item: in secret_providers (op item list --vault " + strconv.Quote(vault) + ")"}
	case strings.Contains(low, "signed in"), strings.Contains(low, "signin"), strings.Contains(low, "sign in"),
		strings.Contains(low, "no account found"), strings.Contains(low, "session expired"),
		strings.Contains(low, "authorization"), strings.Contains(low, "locked"):
		return &core.Error{Kind: core.Missing, What: what, Why: "you are not signed in to 1Password (" + msg + ")",
			Fix: "run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "op failed: " + msg, Fix: "run op item get by hand to see why"}
}

// opMessage returns op's first error line without its "[ERROR] date time" prefix.
func opMessage(stderr string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "[ERROR] "); ok {
		// Drop "2026/11/27 03:00:00 ".
		f := strings.SplitN(rest, " ", 3)
		if len(f) == 3 && strings.Count(f[0], "/") == 2 && strings.Count(f[1], ":") == 2 {
			rest = f[2]
		}
		line = rest
	}
	return line
}
