package runcli

import (
	"bytes"
	"encoding/json"

	"github.com/haloy-auth/haloy/core"
)

// ObjectFields reads a JSON object's members as fields: a string member is
// its value, a number, boolean, array or object its JSON text, null no
// field. ok is false when data is not a JSON object.
func ObjectFields(data []byte) (fields map[string]core.Secret, ok bool) {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&m); err != nil || m == nil || d.More() {
		return nil, false
	}
	fields = make(map[string]core.Secret, len(m))
	for k, raw := range m {
		var s string
		switch {
		case bytes.Equal(bytes.TrimSpace(raw), []byte("null")):
			continue
		case json.Unmarshal(raw, &s) == nil:
			fields[k] = core.Secret(s)
		default:
			var c bytes.Buffer
			if json.Compact(&c, raw) != nil {
				return nil, false
			}
			fields[k] = core.Secret(c.String())
		}
	}
	return fields, true
}
