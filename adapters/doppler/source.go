// Package doppler reads a Doppler config's secrets with the Doppler CLI:
// one `doppler secrets download --no-file --format json --project <p>
// --config <c>` per source, which returns every secret of the config at
// once. The CLI finds its token in DOPPLER_TOKEN or its own login; no
// token and no secret ever goes into its argv.
package doppler

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
const Provider = "doppler"

// DefaultTimeout bounds one doppler call.
const DefaultTimeout = 30 * time.Second

// Source reads configs with the doppler program. New does no I/O.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "doppler" from PATH.
func New() *Source { return &Source{bin: "doppler", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings (project and config) and names the
// config, e.g. "Doppler config haloy/prd".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "Doppler", []string{"project", "config"}, nil); err != nil {
		return "", err
	}
	return "Doppler config " + src.Settings["project"] + "/" + src.Settings["config"], nil
}

// Fields downloads src's config once and returns every secret in it,
// including the DOPPLER_PROJECT, DOPPLER_CONFIG and DOPPLER_ENVIRONMENT
// that Doppler adds.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	project, config := src.Settings["project"], src.Settings["config"]
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Timeout: s.timeout,
		Args: []string{"secrets", "download", "--no-file", "--format", "json", "--project", project, "--config", config}})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the Doppler CLI (doppler) is not installed or not on PATH",
			Fix: "install doppler (https://docs.doppler.com/docs/install-cli), then run 'doppler login' (or set DOPPLER_TOKEN in CI)"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "doppler did not answer within " + s.timeout.String(),
			Fix: "check that api.doppler.com is reachable, then run the command again"}
	case err != nil:
		return nil, classify(what, src, project, config, stderr, err)
	}
	fields, ok := runcli.ObjectFields(out)
	if !ok {
		// Never quote stdout: it holds the config's secrets.
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: "doppler printed something other than a JSON object of secrets", Fix: "update doppler (doppler update), then run the command again"}
	}
	return fields, nil
}

// classify turns doppler's "Doppler Error: ..." into an error a user can
// act on. Doppler's messages name projects and configs, never values.
func classify(what string, src core.SecretSourceRef, project, config string, stderr []byte, err error) error {
	msg := ""
	for _, l := range strings.Split(string(stderr), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "Doppler Error: "); ok {
			msg = m
			break
		}
	}
	if msg == "" {
		msg = runcli.FirstLine(stderr)
	}
	low := strings.ToLower(msg)
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case strings.Contains(low, "could not find"):
		return &core.Error{Kind: core.NotFound, What: "Doppler config " + strconv.Quote(project+"/"+config) + " not found",
			Why: msg, Fix: "doppler configs --project " + strconv.Quote(project) + " lists the configs; fix project: or config: under " + at}
	case strings.Contains(low, "token"), strings.Contains(low, "unauthorized"), strings.Contains(low, "login"):
		return &core.Error{Kind: core.Missing, What: what, Why: "you are not logged in to Doppler (" + msg + ")",
			Fix: "run 'doppler login' (or set DOPPLER_TOKEN to a service token in CI), then run the command again"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "doppler failed: " + msg,
		Fix: "run 'doppler secrets --project " + project + " --config " + config + " --only-names' by hand to see why"}
}
