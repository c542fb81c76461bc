package fs

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/haloy-auth/haloy/core"
)

// decodeClientPlain decodes client.yaml from goccy/go-yaml's syntax tree
// when the file has the plain shape haloy writes: a mapping with servers,
// whose entries are mappings of token_env and ca_cert to strings. It
// returns ok false for anything else (an anchor, a tag, a null, a number,
// an unknown key, a syntax error), and decodeClient then decodes the file
// with yaml.UnmarshalWithOptions as before, errors included.
//
// Why: yaml.Unmarshal parses the file, turns the whole tree into generic
// values, then decodes it by reflection; on 100 servers that was a fifth of
// `haloy server list`'s CPU time, and the last two steps are 40% of it
// (docs/performance.md). FuzzDecodeClientPlain checks that both ways agree.
func decodeClientPlain(data []byte) (map[string]core.ServerRef, bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return nil, false
	}
	top, ok := pairs(f.Docs[0].Body)
	if !ok || len(top) != 1 || !isKey(top[0], "servers") {
		return nil, false
	}
	entries, ok := pairs(top[0].Value)
	if !ok {
		return nil, false
	}
	out := make(map[string]core.ServerRef, len(entries))
	for _, e := range entries {
		name, ok := e.Key.(*ast.StringNode)
		if !ok {
			return nil, false
		}
		if _, dup := out[name.Value]; dup {
			return nil, false
		}
		fields, ok := pairs(e.Value)
		if !ok {
			return nil, false
		}
		var ref core.ServerRef
		seen := map[string]bool{}
		for _, fv := range fields {
			k, ok := fv.Key.(*ast.StringNode)
			if !ok || seen[k.Value] {
				return nil, false
			}
			seen[k.Value] = true
			v, ok := fv.Value.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			switch k.Value {
			case "token_env":
				ref.TokenEnv = v.Value
			case "ca_cert":
				ref.CACert = v.Value
			default:
				return nil, false
			}
		}
		out[name.Value] = ref
	}
	return out, true
}

// pairs returns the key-value pairs of a block or flow mapping.
func pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func isKey(mv *ast.MappingValueNode, name string) bool {
	k, ok := mv.Key.(*ast.StringNode)
	return ok && k.Value == name
}
