package memory

import "github.com/haloy-auth/haloy/ports"

var _ ports.Env = Env(nil)

// Env is an environment held in a map: variable name -> value.
type Env map[string]string

// Lookup returns the value of key and whether it is set.
func (e Env) Lookup(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}
