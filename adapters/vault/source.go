// Package vault reads KV version 2 secrets from HashiCorp Vault or OpenBao
// with their CLIs: one `vault kv get -format=json -mount=<mount> <path>`
// (or `bao ...`) per source, which returns every key of the secret at
// once. The CLI finds its token in VAULT_TOKEN/BAO_TOKEN or its token
// helper; no token and no secret ever goes into its argv.
package vault

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider and OpenBaoProvider are the names under secret_providers and
// in references.
const (
	Provider        = "vault"
	OpenBaoProvider = "openbao"
)

// DefaultTimeout bounds one CLI call.
const DefaultTimeout = 30 * time.Second

// Source reads KV v2 secrets with the vault (or bao) program. New does no I/O.
type Source struct {
	bin     string // the program to run
	name    string // the program's name in messages: vault or bao
	product string // Vault or OpenBao
	timeout time.Duration
}

// New returns a Source that runs "vault" from PATH.
func New() *Source {
	return &Source{bin: "vault", name: "vault", product: "Vault", timeout: DefaultTimeout}
}

// NewOpenBao returns a Source that runs OpenBao's "bao" from PATH.
func NewOpenBao() *Source {
	return &Source{bin: "bao", name: "bao", product: "OpenBao", timeout: DefaultTimeout}
}

// NewAt returns a Vault Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source {
	return &Source{bin: bin, name: "vault", product: "Vault", timeout: timeout}
}

// Describe checks src's settings (path; optionally mount, "secret" by
// default, address and namespace) and names the secret, e.g. "Vault
// secret/haloy/api".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, s.product, []string{"path"}, []string{"mount", "address", "namespace"}); err != nil {
		return "", err
	}
	label := s.product + " " + mount(src) + "/" + strings.TrimPrefix(src.Settings["path"], "/")
	if a := src.Settings["address"]; a != "" {
		label += " at " + a
	}
	return label, nil
}

func mount(src core.SecretSourceRef) string {
	if m := strings.Trim(src.Settings["mount"], "/"); m != "" {
		return m
	}
	return "secret"
}

// kvGet is the part of `vault kv get -format=json` output we read.
type kvGet struct {
	Data *struct {
		Data json.RawMessage `json:"data"`
	} `json:"data"`
}

// Fields reads src's secret once and returns its keys (the current version).
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	path := strings.TrimPrefix(src.Settings["path"], "/")
	args := []string{"kv", "get", "-format=json", "-mount=" + mount(src)}
	if a := src.Settings["address"]; a != "" {
		args = append(args, "-address="+a)
	}
	if n := src.Settings["namespace"]; n != "" {
		args = append(args, "-namespace="+n)
	}
	args = append(args, path)
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: args, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the " + s.product + " CLI (" + s.name + ") is not installed or not on PATH",
			Fix: "install " + s.name + ", set VAULT_ADDR, then run '" + s.name + " login'"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: s.name + " did not answer within " + s.timeout.String(),
			Fix: "check that " + s.product + " is reachable (" + s.name + " status), then run the command again"}
	case err != nil:
		return nil, s.classify(what, src, path, stderr, err)
	}
	var g kvGet
	var fields map[string]core.Secret
	ok := json.Unmarshal(out, &g) == nil && g.Data != nil
	if ok {
		fields, ok = runcli.ObjectFields(g.Data.Data)
	}
	if !ok {
		// Never quote stdout: it holds the secret.
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: s.name + " printed something other than a KV v2 secret in JSON",
			Fix: "check that " + mount(src) + " is a KV version 2 mount (" + s.name + " secrets list -detailed)"}
	}
	return fields, nil
}

// classify turns the CLI's error output into an error a user can act on.
// Its messages name paths and URLs, never values.
func (s *Source) classify(what string, src core.SecretSourceRef, path string, stderr []byte, err error) error {
	text := string(stderr)
	low := strings.ToLower(text)
	msg := runcli.FirstLine(stderr)
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case strings.HasPrefix(msg, "No value found at"):
		return &core.Error{Kind: core.NotFound, What: s.product + " secret " + strconv.Quote(mount(src)+"/"+path) + " not found",
			Why: msg, Fix: s.name + " kv list -mount=" + mount(src) + " shows the paths; fix path: or mount: under " + at}
	case strings.Contains(low, "permission denied"), strings.Contains(low, "missing client token"), strings.Contains(low, "code: 403"):
		why := "you are not logged in to " + s.product + ", or your token may not read this path (permission denied)"
		return &core.Error{Kind: core.Missing, What: what, Why: why,
			Fix: "run '" + s.name + " login' (or set VAULT_TOKEN in CI), then run the command again"}
	case strings.Contains(low, "connection refused"), strings.Contains(low, "no such host"), strings.Contains(low, "dial tcp"):
		return &core.Error{Kind: core.Unavailable, What: what, Why: s.product + " is not reachable (" + lastLine(text) + ")",
			Fix: "set VAULT_ADDR (or address: under " + at + ") to your server, then run the command again"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: s.name + " failed: " + msg,
		Fix: "run '" + s.name + " kv get -mount=" + mount(src) + " " + path + "' by hand to see why"}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
