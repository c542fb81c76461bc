// Package gcpsecrets reads secrets from Google Cloud Secret Manager with
// the gcloud CLI: one `gcloud secrets versions access <version>
// --secret=<secret> [--project=<project>] --format=json` per source. A
// payload that is a JSON object gives each member as a key; any other
// payload is the key "value". gcloud finds its credentials as it always
// does; none goes into its argv.
package gcpsecrets

import (
	"context"
	"encoding/base64"
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
const Provider = "gcp"

// DefaultTimeout bounds one gcloud call (gcloud itself starts slowly).
const DefaultTimeout = 60 * time.Second

// Source reads secrets with the gcloud program. New does no I/O.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "gcloud" from PATH.
func New() *Source { return &Source{bin: "gcloud", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings (secret; optionally project and version,
// "latest" by default) and names the secret, e.g. "GCP secret haloy-api
// (project acme-prod)".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "GCP Secret Manager", []string{"secret"}, []string{"project", "version"}); err != nil {
		return "", err
	}
	label := "GCP secret " + src.Settings["secret"]
	if v := src.Settings["version"]; v != "" && v != "latest" {
		label += " version " + v
	}
	if p := src.Settings["project"]; p != "" {
		label += " (project " + p + ")"
	}
	return label, nil
}

// access is the part of `gcloud secrets versions access --format=json` we read.
type access struct {
	Payload *struct {
		Data string `json:"data"`
	} `json:"payload"`
}

// Fields accesses src's secret version once and returns its keys.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	secret, version := src.Settings["secret"], src.Settings["version"]
	if version == "" {
		version = "latest"
	}
	args := []string{"secrets", "versions", "access", version, "--secret=" + secret}
	if p := src.Settings["project"]; p != "" {
		args = append(args, "--project="+p)
	}
	args = append(args, "--format=json")
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: args, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the Google Cloud CLI (gcloud) is not installed or not on PATH",
			Fix: "install gcloud (https://cloud.google.com/sdk/docs/install), then run 'gcloud auth login'"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "gcloud did not answer within " + s.timeout.String(),
			Fix: "check the network, then run the command again"}
	case err != nil:
		return nil, classify(what, src, secret, stderr, err)
	}
	var a access
	data, derr := []byte(nil), json.Unmarshal(out, &a)
	if derr == nil && a.Payload != nil {
		data, derr = base64.StdEncoding.DecodeString(a.Payload.Data)
	}
	if derr != nil || a.Payload == nil {
		// Never quote stdout: it holds the secret.
		return nil, &core.Error{Kind: core.Unavailable, What: what,
			Why: "gcloud printed something other than a secret version in JSON", Fix: "update gcloud (gcloud components update), then run the command again"}
	}
	if fields, ok := runcli.ObjectFields(data); ok {
		return fields, nil
	}
	return map[string]core.Secret{"value": core.Secret(data)}, nil
}

// classify turns gcloud's "ERROR: (gcloud.secrets.versions.access) ..."
// into an error a user can act on. Its messages name resources, never values.
func classify(what string, src core.SecretSourceRef, secret string, stderr []byte, err error) error {
	msg := strings.TrimPrefix(runcli.FirstLine(stderr), "ERROR: (gcloud.secrets.versions.access) ")
	low := strings.ToLower(msg)
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case strings.HasPrefix(msg, "NOT_FOUND"):
		return &core.Error{Kind: core.NotFound, What: "GCP secret " + strconv.Quote(secret) + " not found",
			Why: msg, Fix: "gcloud secrets list shows the project's secrets; fix secret:, version: or project: under " + at}
	case strings.Contains(low, "active account"), strings.Contains(low, "auth login"), strings.Contains(low, "reauthentication"),
		strings.Contains(low, "refreshing your current auth tokens"), strings.Contains(low, "credentials"):
		return &core.Error{Kind: core.Missing, What: what, Why: "you are not signed in to Google Cloud (" + msg + ")",
			Fix: "run 'gcloud auth login' (or set GOOGLE_APPLICATION_CREDENTIALS in CI), then run the command again"}
	case strings.HasPrefix(msg, "PERMISSION_DENIED"):
		return &core.Error{Kind: core.Missing, What: what, Why: "Google Cloud denies access (" + msg + ")",
			Fix: "grant roles/secretmanager.secretAccessor on the secret to your account"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "gcloud failed: " + msg,
		Fix: "run 'gcloud secrets describe " + secret + "' by hand to see why"}
}
