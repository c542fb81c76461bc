// Package bitwarden reads secret items with the Bitwarden CLI (bw): one
// `bw get item <item> --nointeraction` per source. An item's keys are its
// custom fields' names, plus password, username and notes. bw finds the
// unlocked session in BW_SESSION; no session and no secret ever goes into
// bw's argv: only the item's name or id.
package bitwarden

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

// Provider is the name under secret_providers and in references.
const Provider = "bitwarden"

// DefaultTimeout bounds one bw call (bw may sync with the server first).
const DefaultTimeout = 60 * time.Second

// Source reads items with bw. New does no I/O.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "bw" from PATH.
func New() *Source { return &Source{bin: "bw", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings (item, an item's name or id) and names
// the item, e.g. "Bitwarden item haloy-api-tokens".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "Bitwarden", []string{"item"}, nil); err != nil {
		return "", err
	}
	return "Bitwarden item " + src.Settings["item"], nil
}

// item is the part of `bw get item` output we read.
type item struct {
	Notes  *string `json:"notes"`
	Fields []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	} `json:"fields"`
	Login *struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	} `json:"login"`
}

// Fields runs bw once for src's item and returns its custom fields by
// name, and its password, username and notes when set. A custom field
// named like one of those wins; of two custom fields with one name the
// first wins; linked fields (no value of their own) are left out.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	name := src.Settings["item"]
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: []string{"get", "item", name, "--nointeraction"}, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the Bitwarden CLI (bw) is not installed or not on PATH",
			Fix: "install bw (https://bitwarden.com/help/cli/), run 'bw login', then export BW_SESSION=$(bw unlock --raw)"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "bw did not answer within " + s.timeout.String(),
			Fix: "check that the Bitwarden server is reachable (bw status), then run the command again"}
	case err != nil:
		return nil, classify(what, src, name, stderr, err)
	}
	var it item
	if err := json.Unmarshal(out, &it); err != nil {
		// Never quote stdout: it holds the item's secrets.
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: "bw printed something other than an item in JSON", Fix: "update bw, then run the command again"}
	}
	fields := map[string]core.Secret{}
	for _, f := range it.Fields {
		if _, dup := fields[f.Name]; dup || f.Name == "" || f.Value == nil {
			continue
		}
		fields[f.Name] = core.Secret(*f.Value)
	}
	set := func(k string, v *string) {
		if _, ok := fields[k]; !ok && v != nil && *v != "" {
			fields[k] = core.Secret(*v)
		}
	}
	if it.Login != nil {
		set("password", it.Login.Password)
		set("username", it.Login.Username)
	}
	set("notes", it.Notes)
	return fields, nil
}

// classify turns bw's error output into an error a user can act on. bw's
// messages name items, never secret values.
func classify(what string, src core.SecretSourceRef, name string, stderr []byte, err error) error {
	msg := runcli.FirstLine(stderr)
	low := strings.ToLower(msg)
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case low == "not found." || low == "not found":
		return &core.Error{Kind: core.NotFound, What: "Bitwarden item " + strconv.Quote(name) + " not found",
			Why: "bw: " + msg, Fix: "bw list items --search " + strconv.Quote(name) + " shows matching items; fix item: under " + at + " (bw sync first if it is new)"}
	case strings.Contains(low, "more than one result"):
		return &core.Error{Kind: core.Invalid, What: what, Why: "several Bitwarden items are called " + strconv.Quote(name),
			Fix: "give the item's id as item: under " + at + " (bw list items --search " + strconv.Quote(name) + ")"}
	case strings.Contains(low, "not logged in"):
		return &core.Error{Kind: core.Missing, What: what, Why: "you are not logged in to Bitwarden (" + msg + ")",
			Fix: "run 'bw login', then export BW_SESSION=$(bw unlock --raw), then run the command again"}
	case strings.Contains(low, "locked"), strings.Contains(low, "master password"), strings.Contains(low, "session"):
		return &core.Error{Kind: core.Missing, What: what, Why: "the Bitwarden vault is locked (" + msg + ")",
			Fix: "export BW_SESSION=$(bw unlock --raw), then run the command again"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "bw failed: " + msg, Fix: "run 'bw get item " + name + "' by hand to see why"}
}
