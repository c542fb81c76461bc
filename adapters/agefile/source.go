// Package agefile reads secrets from files encrypted with age
// (https://age-encryption.org), decrypted in process with filippo.io/age:
// no external program, nothing decrypted ever written to disk. The
// plaintext is a dotenv, YAML or JSON document whose top-level keys are the
// source's keys. The identity (private key) file is the source's identity
// setting, else AGE_IDENTITY_FILE; relative paths in settings are relative
// to the config file's directory.
package agefile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/goccy/go-yaml"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/adapters/internal/runcli"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Source)(nil)

// Provider is the name under secret_providers and in references.
const Provider = "age"

// IdentityEnv names the identity file when a source has no identity setting.
const IdentityEnv = "AGE_IDENTITY_FILE"

// maxFile bounds what is read of an encrypted file or an identity file:
// secrets for a deploy, not a disk image.
const maxFile = 16 << 20

// Source decrypts age files. New does no I/O.
type Source struct {
	// opened, when set, is told each encrypted file opened (tests and the
	// bench count reads with it).
	opened func(path string)
}

// New returns a Source.
func New() *Source { return &Source{} }

// NewObserved returns a Source that calls opened with the path of every
// encrypted file it opens.
func NewObserved(opened func(path string)) *Source { return &Source{opened: opened} }

// formats are the payloads a file may hold, by the format setting's value.
var formats = []string{"dotenv", "yaml", "json"}

// Describe checks src's settings (file; optionally identity and format)
// and names the file, e.g. "age file secrets/prod.env.age".
func (s *Source) Describe(src core.SecretSourceRef) (string, error) {
	if err := core.CheckSettings(src, "age", []string{"file"}, []string{"identity", "format"}); err != nil {
		return "", err
	}
	if _, err := format(src); err != nil {
		return "", err
	}
	return "age file " + src.Settings["file"], nil
}

// format is the format setting, or the one the file's name implies
// (prod.env.age, prod.yaml.age, prod.json.age).
func format(src core.SecretSourceRef) (string, error) {
	at := "secret_providers." + src.Provider + "." + src.Name
	if f := src.Settings["format"]; f != "" {
		for _, known := range formats {
			if f == known {
				return f, nil
			}
		}
		return "", &core.Error{Kind: core.Invalid, What: "unknown format " + strconv.Quote(f) + " in " + at,
			Why: "an age file holds dotenv, yaml or json", Fix: "set format: to dotenv, yaml or json"}
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(src.Settings["file"]), ".age"), ".asc")
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".json":
		return "json", nil
	case ext == ".yaml" || ext == ".yml":
		return "yaml", nil
	case ext == ".env" || strings.HasPrefix(strings.ToLower(name), ".env") || strings.HasSuffix(strings.ToLower(name), "env"):
		return "dotenv", nil
	}
	return "", &core.Error{Kind: core.Invalid, What: "cannot tell the format of " + src.Settings["file"] + " (" + at + ")",
		Why: "its name does not end in .env.age, .yaml.age or .json.age", Fix: "add format: dotenv (or yaml, or json) under " + at}
}

// path resolves p against dir unless it is absolute; "~/" is the home directory.
func path(dir, p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

var lineNo = regexp.MustCompile(`^error at line (\d+)`)

// Fields decrypts src's file once and returns its top-level keys.
func (s *Source) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	at := "secret_providers." + src.Provider + "." + src.Name
	what := "cannot read " + label
	file := path(src.Dir, src.Settings["file"])

	idPath, from := src.Settings["identity"], "identity: in "+at
	if idPath != "" {
		idPath = path(src.Dir, idPath)
	} else if idPath = os.Getenv(IdentityEnv); idPath != "" {
		idPath, from = path("", idPath), IdentityEnv
	} else {
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "no age identity (private key) to decrypt it with",
			Fix: "export " + IdentityEnv + "=~/.config/age/keys.txt, or add identity: <file> under " + at}
	}
	idFile, err := os.ReadFile(idPath)
	if err != nil {
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "cannot read the identity file " + idPath + " (" + from + "): " + reason(err),
			Fix: "point " + from + " at your age identity file (age-keygen -o <file> makes one)", Err: err}
	}
	ids, err := age.ParseIdentities(bytes.NewReader(idFile))
	if err != nil {
		// Never quote age's error: it may hold the identity file's line.
		why := "it holds no age identity"
		if m := lineNo.FindStringSubmatch(err.Error()); m != nil {
			why = "line " + m[1] + " is not an age identity (AGE-SECRET-KEY-1...)"
		}
		return nil, &core.Error{Kind: core.Invalid, What: "cannot use the identity file " + idPath + " (" + from + ")", Why: why,
			Fix: "use a file made by age-keygen; passphrase-protected and SSH identities are not supported"}
	}

	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &core.Error{Kind: core.NotFound, What: "age file " + file + " not found",
				Why: "file: in " + at + " names it (relative paths are relative to the config file's directory)", Fix: "fix file: under " + at, Err: err}
		}
		return nil, &core.Error{Kind: core.Unavailable, What: what, Why: reason(err), Fix: "check the file's permissions", Err: err}
	}
	defer f.Close()
	if s.opened != nil {
		s.opened(file)
	}
	var in io.Reader = io.LimitReader(f, maxFile)
	br := newPeek(in)
	if br.armored() {
		in = armor.NewReader(br)
	} else {
		in = br
	}
	r, err := age.Decrypt(in, ids...)
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &noMatch):
		return nil, &core.Error{Kind: core.Missing, What: what, Why: "the identity in " + idPath + " (" + from + ") is not one the file was encrypted to",
			Fix: "use the identity of one of the file's recipients, or re-encrypt the file to yours (age -r <your public key>)"}
	case err != nil:
		// Never quote age's error: for a file that is not encrypted it
		// quotes the file's first line, which may be a secret.
		return nil, &core.Error{Kind: core.Invalid, What: what, Why: "it is not an age-encrypted file (no valid age header)",
			Fix: "encrypt it with age: age -r <recipient> -o " + src.Settings["file"] + " <plaintext>"}
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, &core.Error{Kind: core.Invalid, What: what, Why: "it is damaged or truncated (its payload does not authenticate)",
			Fix: "encrypt it again from the plaintext"}
	}
	kind, _ := format(src)
	fields, ok := parse(kind, plain)
	if !ok {
		// Never quote a parser's error: it may hold the plaintext.
		return nil, &core.Error{Kind: core.Invalid, What: what, Why: "its decrypted content is not a " + kind + " document of keys and values",
			Fix: "decrypt it by hand (age -d -i <identity> " + src.Settings["file"] + ") and fix it, or set format: under " + at}
	}
	return fields, nil
}

// parse reads a decrypted payload's top-level keys.
func parse(kind string, plain []byte) (map[string]core.Secret, bool) {
	switch kind {
	case "dotenv":
		env, err := gotenv.StrictParse(bytes.NewReader(plain))
		if err != nil {
			return nil, false
		}
		out := make(map[string]core.Secret, len(env))
		for k, v := range env {
			out[k] = core.Secret(v)
		}
		return out, true
	case "yaml":
		var m map[string]any
		if err := yaml.Unmarshal(plain, &m); err != nil || m == nil {
			return nil, false
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, false
		}
		return runcli.ObjectFields(b)
	}
	return runcli.ObjectFields(plain)
}

// reason is an os error's cause without the path it repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
