// Package configfile loads app configs (haloy.yaml, haloy.yml, haloy.json)
// from disk, decoding them strictly with goccy/go-yaml: an unknown key is an
// error naming the file, line and column, and the closest known key.
package configfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.AppConfigs = (*Loader)(nil)

// Names are the file names looked for in a directory, in this order.
var Names = []string{"haloy.yaml", "haloy.yml", "haloy.json"}

// Loader reads app configs from the file system. New does no I/O.
type Loader struct{}

// New returns a Loader.
func New() *Loader { return &Loader{} }

// file is the shape on disk: the config plus the other spelling of
// secret_providers that Haloy has used.
type file struct {
	core.AppConfig  `yaml:",inline"`
	SecretProviders core.SecretProviders `yaml:"secretProviders,omitempty"`
}

// Load finds and decodes the config at path (a file, a directory, or "" for
// the current directory).
func (l *Loader) Load(ctx context.Context, path string) (core.AppConfig, error) {
	name, err := find(path)
	if err != nil {
		return core.AppConfig{}, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return core.AppConfig{}, &core.Error{Kind: core.Invalid, What: "cannot read app config " + strconv.Quote(name),
			Why: reason(err), Fix: "check the file's permissions", Err: err}
	}
	return Decode(name, data)
}

// find returns the config file path names: itself if it is a file, else
// the first of Names in that directory.
func find(path string) (string, error) {
	dir := path
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &core.Error{Kind: core.NotFound, What: "app config " + strconv.Quote(path) + " not found",
				Why: "there is no such file or directory", Fix: "pass --config with the path of your haloy.yaml", Err: err}
		}
		return "", &core.Error{Kind: core.Invalid, What: "cannot read app config " + strconv.Quote(path), Why: reason(err), Err: err}
	}
	if !fi.IsDir() {
		return path, nil
	}
	for _, n := range Names {
		p := n
		if path != "" {
			p = filepath.Join(path, n)
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	where := "the current directory"
	if path != "" {
		where = strconv.Quote(path)
	}
	return "", &core.Error{Kind: core.NotFound, What: "no app config in " + where,
		Why: "looked for " + strings.Join(Names, ", "),
		Fix: "create haloy.yaml there, or pass --config <file> (e.g. --config production.haloy.yaml)"}
}

func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Decode decodes the config data of the file called name, strictly. The
// errors it returns never quote the file's content, which may hold a token:
// only key names, line and column.
func Decode(name string, data []byte) (core.AppConfig, error) {
	// One parse serves the decoding and the key lines: parsing twice was a
	// third of the time spent on haloy.yaml (docs/performance.md).
	parsed, err := parser.ParseBytes(data, 0)
	if err != nil {
		return core.AppConfig{}, decodeError(name, data, err)
	}
	var f file
	if body := firstBody(parsed); body != nil {
		dec := yaml.NewDecoder(bytes.NewReader(nil), yaml.DisallowUnknownField())
		if err := dec.DecodeFromNode(body, &f); err != nil {
			return core.AppConfig{}, decodeError(name, data, err)
		}
	}
	cfg := f.AppConfig
	lines := keyLines(parsed)
	if f.SecretProviders != nil {
		if cfg.SecretProviders != nil {
			return core.AppConfig{}, &core.Error{Kind: core.Invalid,
				What: fmt.Sprintf("%s:%d: both secret_providers and secretProviders are set", name, lines["secretProviders"]),
				Why:  "they are two spellings of one setting", Fix: "merge them under secret_providers"}
		}
		cfg.SecretProviders = f.SecretProviders
		if n, ok := lines["secretProviders"]; ok {
			lines["secret_providers"] = n
		}
	}
	for t := range cfg.Targets {
		if t == "" {
			return core.AppConfig{}, &core.Error{Kind: core.Invalid, What: fmt.Sprintf("%s:%d: a target has an empty name", name, lines["targets"]),
				Why: "every target needs a name", Fix: "name it, e.g. production:"}
		}
	}
	cfg.File = name
	cfg.Lines = lines
	return cfg, nil
}

func decodeError(name string, data []byte, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return &core.Error{Kind: core.Invalid, What: "cannot decode app config " + strconv.Quote(name),
			Why: "it is not valid YAML or JSON", Fix: "check the file's syntax"}
	}
	pos := ye.GetToken().Position
	at := fmt.Sprintf("%s:%d:%d", name, pos.Line, pos.Column)
	var uf *yaml.UnknownFieldError
	if errors.As(err, &uf) {
		key := uf.Token.Value
		shown := strconv.Quote(key)
		if len(key) > 40 || strings.Contains(key, core.APITokenPrefix) {
			// a token pasted where a key goes must not be printed
			shown = "(not shown: it is long or looks like a token)"
		}
		e := &core.Error{Kind: core.Invalid, What: at + ": unknown key " + shown}
		known := knownAt(data, pos.Line, pos.Column)
		e.Why = "known keys here: " + strings.Join(known, ", ")
		if c := core.Closest(key, known); c != "" {
			e.Fix = "did you mean " + strconv.Quote(c) + "?"
		} else {
			e.Fix = "remove it, or see docs/configuration.md for the keys haloy reads"
		}
		return e
	}
	msg := hideContent(ye.GetMessage(), data)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = "a value has the wrong type"
		if te.StructFieldName != nil {
			msg = "the value of " + *te.StructFieldName + " has the wrong type"
		}
	}
	return &core.Error{Kind: core.Invalid, What: at + ": " + msg,
		Why: "the file is not a valid app config", Fix: "fix the value at line " + strconv.Itoa(pos.Line)}
}

// hideContent returns the YAML library's message, unless it repeats 12 or
// more characters of the file (an alias name, a value), which may be a
// token: then a message that quotes nothing.
func hideContent(msg string, data []byte) string {
	for i := 0; i+12 <= len(msg); i++ {
		if bytes.Contains(data, []byte(msg[i:i+12])) {
			return "invalid YAML here"
		}
	}
	return msg
}

// Keys each level of the config accepts, for "did you mean".
var (
	topKeys      = []string{"name", "server", "api_token", "image", "domains", "env", "targets", "secret_providers", "secretProviders"}
	targetKeys   = []string{"name", "server", "api_token", "image", "domains", "env"}
	tokenKeys    = []string{"value", "from"}
	fromKeys     = []string{"env", "secret"}
	imageKeys    = []string{"repository", "tag"}
	domainKeys   = []string{"domain", "aliases"}
	envEntryKeys = []string{"name", "value", "from"}
)

// knownAt returns the keys accepted in the mapping that holds the key at
// line:col.
func knownAt(data []byte, line, col int) []string {
	paths, err := keyPaths(data)
	if err != nil {
		return topKeys
	}
	for _, p := range paths {
		if p.line == line && p.col == col {
			return keysFor(p.path[:len(p.path)-1])
		}
	}
	return topKeys
}

func keysFor(parent []string) []string {
	n := len(parent)
	switch {
	case n == 0:
		return topKeys
	case n == 2 && parent[0] == "targets":
		return targetKeys
	}
	last := parent[n-1]
	if _, err := strconv.Atoi(last); err == nil && n >= 2 {
		switch parent[n-2] {
		case "domains":
			return domainKeys
		case "env":
			return envEntryKeys
		}
	}
	switch last {
	case "api_token":
		return tokenKeys
	case "from":
		return fromKeys
	case "image":
		return imageKeys
	}
	return topKeys
}

type keyPos struct {
	path      []string
	line, col int
}

// firstBody returns the body of the file's first document (the one a
// yaml.Decoder's first Decode reads), or nil for an empty file.
func firstBody(f *ast.File) ast.Node {
	for _, d := range f.Docs {
		if d.Body != nil {
			return d.Body
		}
	}
	return nil
}

// keyLines maps each dotted key path of the parsed file to its line.
func keyLines(f *ast.File) map[string]int {
	paths := pathsOf(f)
	lines := make(map[string]int, len(paths))
	for _, p := range paths {
		lines[strings.Join(p.path, ".")] = p.line
	}
	return lines
}

func keyPaths(data []byte) ([]keyPos, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	return pathsOf(f), nil
}

func pathsOf(f *ast.File) []keyPos {
	var out []keyPos
	var walk func(n ast.Node, path []string)
	walk = func(n ast.Node, path []string) {
		switch v := n.(type) {
		case *ast.DocumentNode:
			walk(v.Body, path)
		case *ast.MappingNode:
			for _, mv := range v.Values {
				walk(mv, path)
			}
		case *ast.MappingValueNode:
			tk := v.Key.GetToken()
			if tk == nil {
				return
			}
			p := append(append([]string{}, path...), tk.Value)
			out = append(out, keyPos{path: p, line: tk.Position.Line, col: tk.Position.Column})
			walk(v.Value, p)
		case *ast.SequenceNode:
			for i, e := range v.Values {
				p := append(append([]string{}, path...), strconv.Itoa(i))
				if tk := e.GetToken(); tk != nil {
					out = append(out, keyPos{path: p, line: tk.Position.Line, col: tk.Position.Column})
				}
				walk(e, p)
			}
		case *ast.AnchorNode:
			walk(v.Value, path)
		case *ast.TagNode:
			walk(v.Value, path)
		}
	}
	for _, d := range f.Docs {
		walk(d, nil)
	}
	return out
}
