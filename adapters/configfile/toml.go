package configfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/haloy-auth/haloy/core"
)

// decodeTOML decodes a TOML file with go-toml, re-encodes it as YAML and
// runs the one strict path on that; messages give the TOML file's own
// lines and columns, found by walking go-toml's syntax tree.
func (d *doc) decodeTOML() (core.AppConfig, error) {
	var m map[string]any
	if err := toml.Unmarshal(d.data, &m); err != nil {
		at := d.name
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			at = fmt.Sprintf("%s:%d:%d", d.name, row, col)
		}
		msg := strings.TrimPrefix(err.Error(), "toml: ")
		return core.AppConfig{}, &core.Error{Kind: core.Invalid, What: at + ": " + hideContent(msg, d.data),
			Why: "the file is not valid TOML", Fix: "check the file's syntax"}
	}
	if len(m) == 0 {
		return core.AppConfig{}, nil
	}
	text, err := yaml.Marshal(m)
	if err != nil {
		return core.AppConfig{}, fmt.Errorf("re-encode %s: %w", d.name, err)
	}
	d.toml = tomlPositions(d.data)
	return d.decodeYAML(text)
}

// tomlPositions maps each dotted key path of a TOML document (list items
// by index) to the line and column of its key.
func tomlPositions(data []byte) map[string][2]int {
	p := &unstable.Parser{}
	p.Reset(data)
	out := map[string][2]int{}
	record := func(path []string, n *unstable.Node) {
		k := strings.Join(path, ".")
		if _, ok := out[k]; ok || n == nil {
			return
		}
		r := n.Raw
		if r.Length == 0 && len(n.Data) > 0 {
			defer func() { _ = recover() }() // Data not from the input: no position
			r = p.Range(n.Data)
		}
		s := p.Shape(r)
		out[k] = [2]int{s.Start.Line, s.Start.Column}
	}
	keyParts := func(it unstable.Iterator) ([]string, *unstable.Node) {
		var parts []string
		var first *unstable.Node
		for it.Next() {
			k := it.Node()
			parts = append(parts, string(k.Data))
			if first == nil {
				first = k
			}
		}
		return parts, first
	}
	var keyval func(kv *unstable.Node, base []string)
	var value func(v *unstable.Node, path []string)
	value = func(v *unstable.Node, path []string) {
		switch v.Kind {
		case unstable.InlineTable:
			it := v.Children()
			for it.Next() {
				keyval(it.Node(), path)
			}
		case unstable.Array:
			it := v.Children()
			for i := 0; it.Next(); i++ {
				e := it.Node()
				ep := append(append([]string{}, path...), strconv.Itoa(i))
				record(ep, e)
				value(e, ep)
			}
		}
	}
	keyval = func(kv *unstable.Node, base []string) {
		parts, first := keyParts(kv.Key())
		full := append(append([]string{}, base...), parts...)
		for i := len(base) + 1; i <= len(full); i++ {
			record(full[:i], first)
		}
		value(kv.Value(), full)
	}
	var prefix []string
	counts := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			parts, first := keyParts(e.Key())
			for i := 1; i <= len(parts); i++ {
				record(parts[:i], first)
			}
			prefix = parts
		case unstable.ArrayTable:
			parts, first := keyParts(e.Key())
			for i := 1; i <= len(parts); i++ {
				record(parts[:i], first)
			}
			k := strings.Join(parts, ".")
			prefix = append(append([]string{}, parts...), strconv.Itoa(counts[k]))
			counts[k]++
			record(prefix, first)
		case unstable.KeyValue:
			keyval(e, prefix)
		}
	}
	return out
}
