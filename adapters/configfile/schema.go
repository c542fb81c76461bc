package configfile

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/haloy-auth/haloy/core"
)

// The schema is core.AppConfig itself: its yaml tags give the snake_case
// keys, its json tags the camelCase ones of haloy.json.
var (
	appConfigType = reflect.TypeFor[core.AppConfig]()
	imageType     = reflect.TypeFor[core.Image]()
	oidcType      = reflect.TypeFor[core.OIDCSource]()
)

// guideSpelling is the other spelling of secret_providers, from Haloy's
// authentication guide, accepted at the top of a YAML or TOML file.
const guideSpelling = "secretProviders"

type field struct {
	yaml, json string
	typ        reflect.Type
}

// fieldsOf returns the keys of a struct type, inline structs flattened.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			out = append(out, fieldsOf(f.Type)...)
			continue
		}
		js, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = js
		}
		if js == "" {
			js = tag
		}
		out = append(out, field{yaml: tag, json: js, typ: f.Type})
	}
	return out
}

// name is a field's key in the file's format.
func (d *doc) key(f field) string {
	if d.format == "json" {
		return f.json
	}
	return f.yaml
}

// check walks the file's tree against the schema: every key must be one
// the struct at that spot has (in the file's spelling), every value of the
// shape its field takes. JSON keys are renamed to the yaml ones, so that
// one decoder reads every format.
func (d *doc) check(body ast.Node) error {
	return d.walk(body, appConfigType, nil)
}

func (d *doc) walk(n ast.Node, t reflect.Type, path []string) error {
	n = unwrap(n)
	if n == nil {
		return nil
	}
	if _, ok := n.(*ast.NullNode); ok {
		return nil
	}
	if _, ok := n.(*ast.AliasNode); ok {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == imageType || t == oidcType {
			if _, ok := n.(*ast.StringNode); ok {
				return nil
			}
		}
		kvs, ok := mappingValues(n)
		if !ok {
			return d.shapeError(n, t, path)
		}
		fields := fieldsOf(t)
		seen := map[string]*ast.MappingValueNode{}
		for _, kv := range kvs {
			key := keyText(kv.Key)
			f, ok := d.lookup(fields, key, path)
			if !ok {
				return d.unknownKey(kv, key, fields, path)
			}
			if prev, dup := seen[f.yaml]; dup {
				return d.twice(prev, kv, f, path)
			}
			seen[f.yaml] = kv
			if key != f.yaml {
				rename(kv.Key, f.yaml)
			}
			if err := d.walk(kv.Value, f.typ, append(append([]string{}, path...), f.yaml)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return d.shapeError(n, t, path)
		}
		for i, e := range seq.Values {
			if err := d.walk(e, t.Elem(), append(append([]string{}, path...), strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case reflect.Map:
		kvs, ok := mappingValues(n)
		if !ok {
			return d.shapeError(n, t, path)
		}
		for _, kv := range kvs {
			if err := d.walk(kv.Value, t.Elem(), append(append([]string{}, path...), keyText(kv.Key))); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if _, ok := n.(*ast.IntegerNode); !ok {
			return d.shapeError(n, t, path)
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			return d.shapeError(n, t, path)
		}
	case reflect.String:
		switch n.(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			return d.shapeError(n, t, path)
		}
	}
	return nil
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func rename(k ast.MapKeyNode, to string) {
	if s, ok := k.(*ast.StringNode); ok {
		s.Value = to
	}
	if tk := k.GetToken(); tk != nil {
		tk.Value = to
	}
}

// lookup finds the field a key names in the file's spelling.
func (d *doc) lookup(fields []field, key string, path []string) (field, bool) {
	for _, f := range fields {
		if d.key(f) == key {
			return f, true
		}
		if len(path) == 0 && d.format != "json" && key == guideSpelling && f.yaml == "secret_providers" {
			return f, true
		}
	}
	return field{}, false
}

func (d *doc) names(fields []field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = d.key(f)
	}
	return out
}

func (d *doc) unknownKey(kv *ast.MappingValueNode, key string, fields []field, path []string) error {
	shown := strconv.Quote(key)
	if hiddenKey(key) {
		shown = hiddenKeyText
	}
	at := d.at(append(append([]string{}, path...), key), posOf(kv.Key))
	known := d.names(fields)
	where := "here"
	if len(path) > 0 {
		where = "in " + d.spell(path)
	}
	e := &core.Error{Kind: core.Invalid, What: at + ": unknown key " + shown, Why: "the keys " + where + " are: " + strings.Join(known, ", ")}
	if c := core.Closest(key, known); c != "" {
		e.Fix = "did you mean " + strconv.Quote(c) + "?"
	} else if d.format == "json" && core.Closest(key, yamlNames(fields)) != "" {
		e.Fix = "haloy.json spells keys in camelCase: did you mean " + strconv.Quote(jsonOf(fields, core.Closest(key, yamlNames(fields)))) + "?"
	} else {
		e.Fix = "remove it, or use one of the keys listed"
	}
	return e
}

func yamlNames(fields []field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.yaml
	}
	return out
}

func jsonOf(fields []field, yamlName string) string {
	for _, f := range fields {
		if f.yaml == yamlName {
			return f.json
		}
	}
	return yamlName
}

func (d *doc) twice(prev, kv *ast.MappingValueNode, f field, path []string) error {
	a, b := keyText(prev.Key), keyText(kv.Key)
	at := d.at(append(append([]string{}, path...), f.yaml), posOf(kv.Key))
	if a != b {
		return &core.Error{Kind: core.Invalid, What: at + ": both " + a + " and " + b + " are set",
			Why: "they are two spellings of one setting", Fix: "merge them under " + d.key(f)}
	}
	return &core.Error{Kind: core.Invalid, What: at + ": " + b + " is set twice",
		Why: "a key may appear once in a mapping", Fix: "remove one of them"}
}

// hiddenKeyText stands in a message for a key that hiddenKey keeps out.
const hiddenKeyText = "(not shown: it is long or looks like a token)"

// hiddenKey reports whether a key of the file must not be printed: a token
// pasted where a key goes (an unknown key, or a name under targets, images
// or secret_providers) would otherwise be repeated in the error.
func hiddenKey(key string) bool {
	return len(key) > 40 || strings.Contains(key, core.APITokenPrefix)
}

// spell returns a key path as the file spells it ("targets.prod.apiToken"
// in JSON), list indexes as [i].
func (d *doc) spell(path []string) string {
	var b strings.Builder
	t := appConfigType
	for _, p := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name := p
		switch t.Kind() {
		case reflect.Struct:
			for _, f := range fieldsOf(t) {
				if f.yaml == p {
					name, t = d.key(f), f.typ
					break
				}
			}
		case reflect.Slice:
			b.WriteString("[" + p + "]")
			t = t.Elem()
			continue
		case reflect.Map:
			t = t.Elem()
			if hiddenKey(name) {
				name = hiddenKeyText
			}
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(name)
	}
	if b.Len() == 0 {
		return "the file"
	}
	return b.String()
}

// shapeError reports a value of the wrong shape with the shape expected,
// the keys a mapping takes and an example.
func (d *doc) shapeError(n ast.Node, t reflect.Type, path []string) error {
	at := d.at(path, posOf(n))
	what := d.spell(path)
	got := shapeName(n)
	e := &core.Error{Kind: core.Invalid}
	switch t.Kind() {
	case reflect.Struct:
		keys := d.names(fieldsOf(t))
		e.What = at + ": " + what + " is " + got + ", but it must be a mapping"
		if t == imageType {
			e.What = at + ": " + what + " is " + got + ", but it must be a mapping or an image name"
		}
		if t == oidcType {
			e.What = at + ": " + what + " is " + got + ", but it must be github or a mapping"
		}
		e.Why = what + " takes the keys: " + strings.Join(keys, ", ")
		e.Fix = d.example(path, keys)
	case reflect.Slice:
		e.What = at + ": " + what + " is " + got + ", but it must be a list"
		e.Why = "even a single entry is written as a list"
		e.Fix = "write each entry on a line starting with '- '"
		if d.format == "json" {
			e.Fix = "write it as [ ... ]"
		}
	case reflect.Map:
		e.What = at + ": " + what + " is " + got + ", but it must be a mapping of names to settings"
		e.Why = "each entry is named by its key"
		e.Fix = "write it as " + what + ": {<name>: {...}}"
	case reflect.Int, reflect.Int64, reflect.Int32:
		e.What = at + ": " + what + " is " + got + ", but it must be a whole number"
		e.Why = "it counts something"
		e.Fix = "write a number without quotes, e.g. " + lastKey(path) + ": 2"
	case reflect.Bool:
		e.What = at + ": " + what + " is " + got + ", but it must be true or false"
		e.Why = "it is a switch"
		e.Fix = "write " + lastKey(path) + ": true or " + lastKey(path) + ": false, without quotes"
	default:
		e.What = at + ": " + what + " is " + got + ", but it must be a single value"
		e.Why = "it is a string or a number"
		e.Fix = "write one value, e.g. " + lastKey(path) + ": ..."
	}
	return e
}

// example gives a line that shows the shape of the mapping at path.
func (d *doc) example(path []string, keys []string) string {
	examples := map[string]string{
		"api_token": "api_token: {from: {env: PROD_API_TOKEN}} (or from: {secret: onepassword:tokens:prod}, or value: ...)",
		"from":      "from: {env: VARIABLE_NAME} or from: {secret: <provider>:<source>:<key>}",
		"image":     "image: {repository: ghcr.io/you/app, tag: latest} or image: ghcr.io/you/app:latest",
		"username":  "username: {from: {env: REGISTRY_USER}} or username: {value: ...}",
		"password":  "password: {from: {env: REGISTRY_PASSWORD}}",
		"history":   "history: {strategy: local, count: 5}",
		"domains":   "domains: [{domain: my-app.com, aliases: [www.my-app.com]}]",
		"env":       "env: [{name: LOG_LEVEL, value: info}]",
		"args":      "args: [{name: VERSION, value: 1.0.0}]",
	}
	key := lastKey(path)
	if _, err := strconv.Atoi(key); err == nil && len(path) >= 2 {
		key = path[len(path)-2]
	}
	if ex, ok := examples[key]; ok && d.format != "json" {
		return "e.g. " + ex
	}
	return "write it as a mapping of the keys above, e.g. {" + keys[0] + ": ...}"
}

func lastKey(path []string) string {
	if len(path) == 0 {
		return "key"
	}
	return path[len(path)-1]
}

func shapeName(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return "a " + strings.ToLower(n.Type().String())
}
