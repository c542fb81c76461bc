// Package sops reads secrets from files encrypted with SOPS
// (https://getsops.io), as Haloy does: it runs
// `sops decrypt --output-type <format> <file>` once per file per run and
// reads the keys of the plaintext (yaml, json or dotenv). Nested keys are
// joined with '.', list items by index (db.hosts.0), as in Haloy. Only the
// file's path goes into sops's argv; sops finds its keys itself
// (SOPS_AGE_KEY_FILE, a KMS, PGP). Relative paths are relative to the
// config file's directory.
package sops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider is the name under secret_providers and in references.
const Provider = "sops"

// Timeout bounds one decryption: a KMS round trip, not a prompt.
const Timeout = 60 * time.Second

// Source runs sops. New does no I/O; errors surface on first use.
type Source struct {
	bin     string
	timeout time.Duration
}

// New returns a Source that runs sops from PATH.
func New() *Source { return &Source{bin: "sops", timeout: Timeout} }

// NewAt returns a Source that runs the sops at bin, each run bounded by timeout.
func NewAt(bin string, timeout time.Duration) *Source { return &Source{bin: bin, timeout: timeout} }

var formats = []string{"yaml", "json", "dotenv"}

// Describe checks src's settings (file; optionally format) and names the
// file, e.g. "SOPS file secrets/prod.enc.yaml".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "SOPS", []string{"file"}, []string{"format"}); err != nil {
		return "", err
	}
	if _, err := format(src); err != nil {
		return "", err
	}
	return "SOPS file " + src.Settings["file"], nil
}

// format is the format setting, or the one the file's extension implies,
// as Haloy infers it.
func format(src core.SecretSourceRef) (string, error) {
	at := "secret_providers." + src.Provider + "." + src.Name
	if f := strings.ToLower(strings.TrimSpace(src.Settings["format"])); f != "" {
		for _, known := range formats {
			if f == known {
				return f, nil
			}
		}
		why := "haloy reads keys from yaml, json or dotenv"
		if f == "binary" {
			why = "a binary file has no keys to read"
		}
		return "", &core.Error{Kind: core.Invalid, What: "unknown format " + strconv.Quote(src.Settings["format"]) + " in " + at,
			Why: why, Fix: "set format: to yaml, json or dotenv"}
	}
	switch strings.ToLower(filepath.Ext(src.Settings["file"])) {
	case ".yaml", ".yml":
		return "yaml", nil
	case ".json":
		return "json", nil
	case ".env", ".dotenv":
		return "dotenv", nil
	}
	return "", &core.Error{Kind: core.Invalid, What: "cannot tell the format of " + src.Settings["file"] + " (" + at + ")",
		Why: "its name does not end in .yaml, .yml, .json or .env", Fix: "add format: yaml (or json, or dotenv) under " + at}
}

// Fields decrypts src's file once and returns its keys.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	at := "secret_providers." + src.Provider + "." + src.Name
	what := "cannot read " + label
	file := src.Settings["file"]
	if rest, ok := strings.CutPrefix(file, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			file = filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(file) && src.Dir != "" {
		file = filepath.Join(src.Dir, file)
	}
	if _, err := os.Stat(file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &core.Error{Kind: core.NotFound, What: "SOPS file " + file + " not found",
				Why: "file: in " + at + " names it (relative paths are relative to the config file's directory)",
				Fix: "fix file: under " + at + ", or create it with sops encrypt", Err: err}
		}
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: reason(err), Fix: "check the file's permissions", Err: err}
	}
	kind, _ := format(src)
	out, stderr, err := runcli.Run(ctx, runcli.Cmd{Bin: s.bin, Args: []string{"decrypt", "--output-type", kind, file}, Timeout: s.timeout})
	switch {
	case errors.Is(err, runcli.ErrNotInstalled):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the sops program is not installed (not on PATH)",
			Fix: "install sops (https://github.com/getsops/sops/releases, or go install github.com/getsops/sops/v3/cmd/sops@latest)"}
	case errors.Is(err, runcli.ErrTimeout):
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: "sops did not answer within " + s.timeout.String(),
			Fix: "check that sops can reach its key service (KMS, Vault), then retry"}
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil:
		return nil, decryptError(what, file, stderr)
	}
	fields, why := parse(kind, out)
	if why != "" {
		// Never quote a parser's error: it may hold the plaintext.
		return nil, &core.Error{Kind: core.Invalid, What: what, Why: why,
			Fix: "look at it with sops decrypt " + src.Settings["file"] + " and fix it, or set format: under " + at}
	}
	return fields, nil
}

// decryptError turns sops's failure into what/why/fix. sops's messages
// name keys and files, not values, but only its first line is quoted.
func decryptError(what, file string, stderr []byte) error {
	msg := runcli.FirstLine(stderr)
	lower := strings.ToLower(string(stderr))
	switch {
	case strings.Contains(lower, "metadata not found"):
		return &core.Error{Kind: core.Invalid, What: what, Why: "it is not a SOPS-encrypted file (sops: " + msg + ")",
			Fix: "encrypt it: sops encrypt --in-place " + file}
	case strings.Contains(lower, "data key"), strings.Contains(lower, "no identity matched"), strings.Contains(lower, "failed to decrypt"):
		return &core.Error{Kind: core.Missing, What: what, Why: "sops has no key that decrypts it (sops: " + msg + ")",
			Fix: "make a key of the file's recipients available to sops, e.g. export SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt, or sign in to its KMS"}
	}
	if msg == "" {
		msg = "no message"
	}
	return &core.Error{Kind: core.Unavailable, What: what, Why: "sops failed: " + msg, Fix: "run sops decrypt " + file + " to see the whole error"}
}

// parse reads the keys of sops's plaintext; why is "" on success.
func parse(kind string, plain []byte) (map[string]core.Secret, string) {
	if kind == "dotenv" {
		env, err := gotenv.StrictParse(bytes.NewReader(plain))
		if err != nil {
			return nil, "its content is not a dotenv document"
		}
		out := make(map[string]core.Secret, len(env))
		for k, v := range env {
			out[k] = core.Secret(v)
		}
		return out, ""
	}
	var data any
	if kind == "yaml" {
		if err := yaml.Unmarshal(plain, &data); err != nil {
			return nil, "its content is not a yaml document"
		}
		b, err := json.Marshal(data)
		if err != nil {
			return nil, "its content is not a yaml document of keys and values"
		}
		plain = b
	}
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber()
	if err := d.Decode(&data); err != nil {
		return nil, "its content is not a json document"
	}
	out := map[string]core.Secret{}
	if why := flatten(data, nil, out); why != "" {
		return nil, why
	}
	return out, ""
}

func stringOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// flatten writes each scalar of v under its dotted path, as Haloy does. A
// key holding '.' would be ambiguous, and so is an error, as in Haloy.
func flatten(v any, path []string, out map[string]core.Secret) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.Contains(k, ".") {
				return "its key " + strconv.Quote(k) + " holds '.', which haloy uses to join nested keys"
			}
			if why := flatten(t[k], append(append([]string{}, path...), k), out); why != "" {
				return why
			}
		}
		return ""
	case []any:
		for i, e := range t {
			if why := flatten(e, append(append([]string{}, path...), strconv.Itoa(i)), out); why != "" {
				return why
			}
		}
		return ""
	}
	if len(path) == 0 {
		return "its content is a single value, not keys and values"
	}
	key := strings.Join(path, ".")
	if _, dup := out[key]; dup {
		return "two of its keys both read as " + strconv.Quote(key)
	}
	switch t := v.(type) {
	case nil:
		out[key] = ""
	case string:
		out[key] = core.Secret(t)
	case json.Number:
		out[key] = core.Secret(t.String())
	case bool:
		out[key] = core.Secret(strconv.FormatBool(t))
	default:
		out[key] = core.Secret(stringOf(t))
	}
	return ""
}

// reason is an os error's cause without the path it repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
