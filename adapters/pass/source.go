// Package pass reads secrets from the standard Unix password store
// (https://www.passwordstore.org): one `pass show -- <path>` per source. The
// entry's first line is the key "password"; each "key: value" line below it
// is another key. No secret goes into pass's argv: only the entry's path.
package pass

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider is the name under secret_providers and in references.
const Provider = "pass"

// DefaultTimeout bounds one pass call: long enough to type a GPG
// passphrase into pinentry, short enough that a hung agent does not hang a
// deploy.
const DefaultTimeout = 60 * time.Second

// Source reads entries with the pass program. New does no I/O.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "pass" from PATH. pass finds its store
// as it always does (PASSWORD_STORE_DIR, else ~/.password-store).
func New() *Source { return &Source{bin: "pass", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings (path, nothing else) and names the entry,
// e.g. "pass entry haloy/api-tokens".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "pass", []string{"path"}, nil); err != nil {
		return "", err
	}
	return "pass entry " + src.Settings["path"], nil
}

// Fields runs pass once for src's entry and returns its keys: "password"
// (the first line, when not empty) and every "key: value" line after it.
// Of two lines with one key the first wins.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	path := src.Settings["path"]
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: []string{"show", "--", path}, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "pass is not installed or not on PATH",
			Fix: "install pass (apt install pass, brew install pass), then run the command again"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "pass did not answer within " + s.timeout.String(),
			Fix: "unlock your GPG key (a pinentry prompt may be waiting: run 'pass show " + path + "' by hand), then run the command again"}
	case err != nil:
		return nil, classify(what, src, path, stderr, err)
	}
	return parse(string(out)), nil
}

// parse reads an entry: the first line is the password, "key: value"
// lines are keys; other lines (free notes) are not keys.
func parse(entry string) map[string]core.Secret {
	lines := strings.Split(entry, "\n")
	fields := make(map[string]core.Secret, len(lines))
	if pw := strings.TrimRight(lines[0], "\r"); pw != "" {
		fields["password"] = core.Secret(pw)
	}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(strings.TrimRight(l, "\r"), ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if _, dup := fields[k]; !dup {
			fields[k] = core.Secret(strings.TrimSpace(v))
		}
	}
	return fields
}

// classify turns pass's and gpg's error output into an error a user can
// act on. Neither prints the entry's content on failure.
func classify(what string, src core.SecretSourceRef, path string, stderr []byte, err error) error {
	msg := message(stderr)
	low := strings.ToLower(string(stderr))
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case strings.Contains(low, "is not in the password store"):
		return &core.Error{Kind: core.NotFound, What: "pass entry " + strconv.Quote(path) + " not found",
			Why: msg, Fix: "pass ls shows the entries; fix path: under " + at}
	case strings.Contains(low, "pass init"):
		return &core.Error{Kind: core.Missing, What: what, Why: "the password store is not initialized (" + msg + ")",
			Fix: "set PASSWORD_STORE_DIR to your store, or run 'pass init <gpg-id>'"}
	case strings.Contains(low, "no secret key"), strings.Contains(low, "decryption failed"),
		strings.Contains(low, "bad passphrase"), strings.Contains(low, "no pinentry"), strings.Contains(low, "operation cancelled"):
		return &core.Error{Kind: core.Missing, What: what, Why: "gpg cannot decrypt it (" + msg + ")",
			Fix: "import the secret key the store is encrypted for (gpg --import) and unlock it (run 'pass show " + path + "' by hand), then run the command again"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "pass failed: " + msg, Fix: "run 'pass show " + path + "' by hand to see why"}
}

// message picks the line of pass's or gpg's output that says what failed:
// an "Error:" line or gpg's "decryption failed", else the last line.
func message(stderr []byte) string {
	var last string
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "Error:") || strings.Contains(l, "decryption failed") {
			return l
		}
		last = l
	}
	return last
}
