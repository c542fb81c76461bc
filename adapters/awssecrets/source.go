// Package awssecrets reads secrets from AWS Secrets Manager with the AWS
// CLI: one `aws secretsmanager get-secret-value --secret-id <id> --output
// json` per source. A secret whose value is a JSON object gives each
// member as a key (what the console's key/value editor stores); any other
// value is the key "value". The CLI finds credentials as it always does
// (AWS_PROFILE, SSO, instance roles); none goes into its argv.
package awssecrets

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
const Provider = "aws"

// DefaultTimeout bounds one aws call.
const DefaultTimeout = 30 * time.Second

// Source reads secrets with the aws program. New does no I/O.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs "aws" from PATH.
func New() *Source { return &Source{bin: "aws", timeout: DefaultTimeout} }

// NewAt returns a Source that runs the program at bin with timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

// Describe checks src's settings (secret_id; optionally region and
// profile) and names the secret, e.g. "AWS secret prod/haloy (eu-west-1)".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "AWS Secrets Manager", []string{"secret_id"}, []string{"region", "profile"}); err != nil {
		return "", err
	}
	label := "AWS secret " + src.Settings["secret_id"]
	var in []string
	if r := src.Settings["region"]; r != "" {
		in = append(in, r)
	}
	if p := src.Settings["profile"]; p != "" {
		in = append(in, "profile "+p)
	}
	if len(in) > 0 {
		label += " (" + strings.Join(in, ", ") + ")"
	}
	return label, nil
}

// secretValue is the part of get-secret-value's output we read.
type secretValue struct {
	SecretString *string `json:"SecretString"`
	SecretBinary *string `json:"SecretBinary"`
}

// Fields fetches src's secret once and returns its keys.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	id := src.Settings["secret_id"]
	args := []string{"secretsmanager", "get-secret-value", "--secret-id", id}
	if r := src.Settings["region"]; r != "" {
		args = append(args, "--region", r)
	}
	if p := src.Settings["profile"]; p != "" {
		args = append(args, "--profile", p)
	}
	args = append(args, "--output", "json")
	what := "cannot read " + label
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: args, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the AWS CLI (aws) is not installed or not on PATH",
			Fix: "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), then run 'aws configure' or 'aws sso login'"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "aws did not answer within " + s.timeout.String(),
			Fix: "check the network and the region, then run the command again"}
	case err != nil:
		return nil, classify(what, src, id, stderr, err)
	}
	bad := &core.Error{Kind: core.Unavailable, What: what,
		Why: "aws printed something other than a secret value in JSON", Fix: "update the AWS CLI, then run the command again"}
	var v secretValue
	if err := json.Unmarshal(out, &v); err != nil {
		// Never quote stdout: it holds the secret.
		return nil, bad
	}
	var value []byte
	switch {
	case v.SecretString != nil:
		value = []byte(*v.SecretString)
	case v.SecretBinary != nil:
		if value, err = base64.StdEncoding.DecodeString(*v.SecretBinary); err != nil {
			return nil, bad
		}
	default:
		return nil, bad
	}
	if fields, ok := runcli.ObjectFields(value); ok {
		return fields, nil
	}
	return map[string]core.Secret{"value": core.Secret(value)}, nil
}

// classify turns the AWS CLI's error output into an error a user can act
// on. Its messages name the operation and the error code, never values.
func classify(what string, src core.SecretSourceRef, id string, stderr []byte, err error) error {
	msg := runcli.FirstLine(stderr)
	low := strings.ToLower(msg)
	at := "secret_providers." + src.Provider + "." + src.Name
	switch {
	case strings.Contains(msg, "ResourceNotFoundException"):
		return &core.Error{Kind: core.NotFound, What: "AWS secret " + strconv.Quote(id) + " not found",
			Why: msg, Fix: "aws secretsmanager list-secrets shows the secrets of the region; fix secret_id: or region: under " + at}
	case strings.Contains(low, "unable to locate credentials"), strings.Contains(low, "sso"), strings.Contains(low, "token"),
		strings.Contains(msg, "ExpiredToken"), strings.Contains(msg, "UnrecognizedClient"), strings.Contains(msg, "InvalidClientTokenId"),
		strings.Contains(low, "could not be found"):
		return &core.Error{Kind: core.Missing, What: what, Why: "you are not signed in to AWS (" + msg + ")",
			Fix: "run 'aws sso login' or 'aws configure' (or set AWS_PROFILE), then run the command again"}
	case strings.Contains(msg, "AccessDenied"):
		return &core.Error{Kind: core.Missing, What: what, Why: "AWS denies access (" + msg + ")",
			Fix: "grant secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key) to your role"}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "aws failed: " + msg,
		Fix: "run 'aws secretsmanager describe-secret --secret-id " + id + "' by hand to see why"}
}
