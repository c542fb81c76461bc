// Package envfile reads dotenv files (.env, .env.local, .env.<target>) with
// gotenv's strict parser, without ever changing the process environment.
package envfile

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.EnvFiles = (*Reader)(nil)

// Reader reads dotenv files from disk. New does no I/O.
type Reader struct{}

// New returns a Reader.
func New() *Reader { return &Reader{} }

// Read returns the variables of the file at path; a missing file is empty.
// A parse error names the file and line but never quotes the line, which
// may hold a token.
func (r *Reader) Read(ctx context.Context, path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		var pe *fs.PathError
		why := err.Error()
		if errors.As(err, &pe) {
			why = pe.Err.Error()
		}
		return nil, &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path), Why: why,
			Fix: "check the file's permissions"}
	}
	env, err := gotenv.StrictParse(bytes.NewReader(data))
	if err != nil {
		where := path
		if n := badLine(data, err.Error()); n > 0 {
			where += ":" + strconv.Itoa(n)
		}
		return nil, &core.Error{Kind: core.Invalid, What: "cannot parse " + where,
			Why: "the line is not NAME=value (or it has unbalanced quotes)",
			Fix: "fix that line; quote values that hold spaces or #"}
	}
	return map[string]string(env), nil
}

// badLine finds the number of the line gotenv's message quotes between
// backticks, so that the message itself never needs to be shown.
func badLine(data []byte, msg string) int {
	_, rest, ok := strings.Cut(msg, "`")
	if !ok {
		return 0
	}
	quoted, _, ok := strings.Cut(rest, "`")
	if !ok || quoted == "" {
		return 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, quoted) {
			return i + 1
		}
	}
	return 0
}
