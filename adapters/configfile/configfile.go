// Package configfile loads app configs (haloy.json, haloy.yaml, haloy.yml,
// haloy.toml) from disk. Every format goes through one strict path: the file
// becomes a goccy/go-yaml syntax tree (JSON is YAML already; TOML is decoded
// with pelletier/go-toml and re-encoded), the tree is checked against the
// schema of core.AppConfig (unknown keys, wrong shapes, each with file, line
// and column, the keys allowed there and the closest one), JSON's camelCase
// keys are renamed to the snake_case ones, and goccy decodes it strictly.
package configfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Names are the file names looked for in a directory, in Haloy's order.
var Names = []string{"haloy.json", "haloy.yaml", "haloy.yml", "haloy.toml"}

// Loader reads app configs from the file system. New does no I/O.
type Loader struct{}

// New returns a Loader.
func New() *Loader { return &Loader{} }

// Load finds and decodes the config at path (a file, a directory, or "" for
// the current directory).
func (l *Loader) Load(ctx context.Context, path string) (core.AppConfig, error) {
	name, skipped, err := find(path)
	if err != nil {
		return core.AppConfig{}, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return core.AppConfig{}, &core.Error{Kind: core.Invalid, What: "cannot read app config " + strconv.Quote(name),
			Why: reason(err), Fix: "check the file's permissions", Err: err}
	}
	cfg, err := Decode(name, data)
	if err != nil {
		return core.AppConfig{}, err
	}
	cfg.Skipped = skipped
	return cfg, nil
}

// find returns the config file path names: itself if it is a file, else
// the first of Names in that directory, and the other Names present there.
func find(path string) (string, []string, error) {
	dir := path
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, &core.Error{Kind: core.NotFound, What: "app config " + strconv.Quote(path) + " not found",
				Why: "there is no such file or directory", Fix: "pass --config with the path of your haloy.yaml", Err: err}
		}
		return "", nil, &core.Error{Kind: core.Invalid, What: "cannot read app config " + strconv.Quote(path), Why: reason(err), Err: err}
	}
	if !fi.IsDir() {
		return path, nil, nil
	}
	var found []string
	for _, n := range Names {
		p := n
		if path != "" {
			p = filepath.Join(path, n)
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
	case 1:
		return found[0], nil, nil
	default:
		return found[0], found[1:], nil
	}
	where := "the current directory"
	if path != "" {
		where = strconv.Quote(path)
	}
	return "", nil, &core.Error{Kind: core.NotFound, What: "no app config in " + where,
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

// FormatOf returns the format of a config file by its extension: "json",
// "yaml" (.yaml, .yml) or "toml". Returns a *core.Error of Kind Invalid for
// any other extension, as Haloy refuses them.
func FormatOf(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json", nil
	case ".yaml", ".yml":
		return "yaml", nil
	case ".toml":
		return "toml", nil
	}
	return "", &core.Error{Kind: core.Invalid, What: "cannot tell the format of app config " + strconv.Quote(name),
		Why: "an app config's name ends in .json, .yaml, .yml or .toml",
		Fix: "rename it, e.g. to " + strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + ".yaml"}
}

// Decode decodes the config data of the file called name, strictly, in the
// format its extension names. The errors it returns never quote the file's
// content, which may hold a token: only key names, line and column.
func Decode(name string, data []byte) (core.AppConfig, error) {
	format, err := FormatOf(name)
	if err != nil {
		return core.AppConfig{}, err
	}
	d := &doc{name: name, format: format, data: data}
	var cfg core.AppConfig
	switch format {
	case "toml":
		cfg, err = d.decodeTOML()
	case "json":
		// goccy reads JSON as YAML, which forgives what JSON does not
		// ({"server": } is a null there): check the syntax as JSON first.
		if err := d.jsonSyntax(); err != nil {
			return core.AppConfig{}, err
		}
		cfg, err = d.decodeYAML(data)
	default:
		cfg, err = d.decodeYAML(data)
	}
	if err != nil {
		return core.AppConfig{}, err
	}
	for t := range cfg.Targets {
		if t == "" {
			return core.AppConfig{}, &core.Error{Kind: core.Invalid, What: fmt.Sprintf("%s:%d: a target has an empty name", name, cfg.Lines["targets"]),
				Why: "every target needs a name", Fix: "name it, e.g. production:"}
		}
	}
	cfg.File = name
	cfg.Format = format
	return cfg, nil
}

// jsonSyntax reports the first syntax error of a JSON file with its line
// and column, never its text.
func (d *doc) jsonSyntax() error {
	dec := json.NewDecoder(bytes.NewReader(d.data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = &json.SyntaxError{Offset: dec.InputOffset()}
		}
	}
	if err == nil {
		return nil
	}
	at := d.name
	var se *json.SyntaxError
	offset := int64(len(d.data))
	if errors.As(err, &se) {
		offset = se.Offset
	}
	line, col := 1, 1
	for _, c := range d.data[:min(int(offset), len(d.data))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	at = fmt.Sprintf("%s:%d:%d", d.name, line, col)
	return &core.Error{Kind: core.Invalid, What: at + ": invalid JSON here",
		Why: "the file is not valid JSON", Fix: "check the file's syntax near line " + strconv.Itoa(line)}
}

// doc is one file being decoded.
type doc struct {
	name, format string
	data         []byte
	// toml maps a dotted key path to its line and column in a TOML file,
	// whose syntax tree is not the one checked.
	toml map[string][2]int
}

// decodeYAML checks and decodes YAML text: the file itself, or for TOML
// the file re-encoded.
func (d *doc) decodeYAML(text []byte) (core.AppConfig, error) {
	// One parse serves the checks, the decoding and the key lines: parsing
	// twice was a third of the time spent on haloy.yaml (docs/performance.md).
	parsed, err := parser.ParseBytes(text, 0)
	if err != nil {
		return core.AppConfig{}, d.syntaxError(err)
	}
	body := firstBody(parsed)
	if body == nil {
		return core.AppConfig{}, nil
	}
	if err := d.check(body); err != nil {
		return core.AppConfig{}, err
	}
	var cfg core.AppConfig
	dec := yaml.NewDecoder(bytes.NewReader(nil), yaml.DisallowUnknownField())
	if err := dec.DecodeFromNode(body, &cfg); err != nil {
		return core.AppConfig{}, d.decodeError(parsed, err)
	}
	cfg.Lines = d.keyLines(parsed)
	return cfg, nil
}

// at returns "file:line:col" of a key path, from the TOML file's own
// positions when there are some, else from the token.
func (d *doc) at(path []string, tk *tokenPos) string {
	if d.toml != nil {
		for p := path; len(p) > 0; p = p[:len(p)-1] {
			if lc, ok := d.toml[strings.Join(p, ".")]; ok {
				return fmt.Sprintf("%s:%d:%d", d.name, lc[0], lc[1])
			}
		}
		return d.name
	}
	if tk == nil {
		return d.name
	}
	return fmt.Sprintf("%s:%d:%d", d.name, tk.line, tk.col)
}

type tokenPos struct{ line, col int }

// firstAlias returns the position of the first alias (*name) in f, or nil.
func firstAlias(f *ast.File) *tokenPos {
	var v aliasFinder
	for _, d := range f.Docs {
		if d.Body != nil && v.at == nil {
			ast.Walk(&v, d.Body)
		}
	}
	return v.at
}

type aliasFinder struct{ at *tokenPos }

func (v *aliasFinder) Visit(n ast.Node) ast.Visitor {
	if v.at != nil {
		return nil
	}
	if a, ok := n.(*ast.AliasNode); ok {
		v.at = posOf(a)
		return nil
	}
	return v
}

func posOf(n ast.Node) *tokenPos {
	if n == nil || n.GetToken() == nil {
		return nil
	}
	p := n.GetToken().Position
	return &tokenPos{p.Line, p.Column}
}

// syntaxError reports a file that is not valid YAML or JSON.
func (d *doc) syntaxError(err error) error {
	var ye yaml.Error
	what := "cannot decode app config " + strconv.Quote(d.name)
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		what = fmt.Sprintf("%s:%d:%d: %s", d.name, pos.Line, pos.Column, hideContent(ye.GetMessage(), d.data))
	}
	return &core.Error{Kind: core.Invalid, What: what,
		Why: "the file is not valid " + strings.ToUpper(d.format), Fix: "check the file's syntax"}
}

// decodeError reports what goccy refused after the schema check passed
// (a value it cannot convert, an alias): never the content.
func (d *doc) decodeError(parsed *ast.File, err error) error {
	var ye yaml.Error
	if errors.Is(err, yaml.ErrExceededMaxDepth) {
		// an alias inside the anchor it names (&a [*a]) expands forever
		at := d.at(nil, firstAlias(parsed))
		return &core.Error{Kind: core.Invalid, What: at + ": an alias expands without end, or too deeply",
			Why: "an alias (*name) stands for its anchor's value (&name), and this one is inside that value, or aliases nest too deeply",
			Fix: "write the value out in place of the alias at " + at}
	}
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return &core.Error{Kind: core.Invalid, What: d.at(nil, posOf(firstBody(parsed))) + ": cannot decode app config " + strconv.Quote(d.name),
			Why: "it is not valid " + strings.ToUpper(d.format), Fix: "check the file's syntax"}
	}
	pos := ye.GetToken().Position
	var path []string
	for _, p := range pathsOf(parsed) {
		if p.line == pos.Line && p.col <= pos.Column {
			path = p.path
		}
	}
	at := d.at(path, &tokenPos{pos.Line, pos.Column})
	msg := hideContent(ye.GetMessage(), d.data)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = "a value has the wrong type"
		if len(path) > 0 {
			msg = "the value of " + d.spell(path) + " has the wrong type"
		}
	}
	return &core.Error{Kind: core.Invalid, What: at + ": " + msg,
		Why: "the file is not a valid app config", Fix: "fix the value at " + at}
}

// hideContent returns the YAML library's message, unless it repeats 12 or
// more characters of the file (an alias name, a value), which may be a
// token: then a message that quotes nothing.
func hideContent(msg string, data []byte) string {
	for i := 0; i+12 <= len(msg); i++ {
		if bytes.Contains(data, []byte(msg[i:i+12])) {
			return "invalid syntax here"
		}
	}
	return msg
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

// keyLines maps each dotted key path of the file to its line.
func (d *doc) keyLines(f *ast.File) map[string]int {
	paths := pathsOf(f)
	lines := make(map[string]int, len(paths))
	for _, p := range paths {
		k := strings.Join(p.path, ".")
		lines[k] = p.line
		if d.toml != nil {
			if lc, ok := d.toml[k]; ok {
				lines[k] = lc[0]
			}
		}
	}
	return lines
}

type keyPos struct {
	path      []string
	line, col int
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
			p := append(append([]string{}, path...), keyText(v.Key))
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

// keyText is a mapping key's text, as renamed by the schema check.
func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.GetToken().Value
}
