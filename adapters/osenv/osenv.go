// Package osenv reads the process environment.
package osenv

import (
	"os"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Env = (*Env)(nil)

// Env is the environment of the running process.
type Env struct{}

// New returns the process environment.
func New() *Env { return &Env{} }

// Lookup returns the value of key and whether it is set.
func (*Env) Lookup(key string) (string, bool) { return os.LookupEnv(key) }
