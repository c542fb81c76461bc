// Command exechelper is a tiny credential helper for haloy's exec secret
// backend (docs/secret-backends.md): it answers from JSON files in a
// directory, one file per source. Configure it as
//
//	secret_providers:
//	  exec:
//	    prod:
//	      command: [exechelper, /etc/haloy-secrets]
//	      source: production
//
// and it answers {"values": ...} from /etc/haloy-secrets/production.json.
// A real helper would ask a vault's API instead of reading a file; the
// protocol is the same.
package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// request is what haloy writes on the helper's stdin.
type request struct {
	Source string   `json:"source"`
	Keys   []string `json:"keys"` // empty: every key
}

// response is what the helper writes on stdout: values, or an error.
type response struct {
	Values map[string]string `json:"values,omitempty"`
	Error  *helperError      `json:"error,omitempty"`
}

type helperError struct {
	Code    string `json:"code"` // not_found, not_signed_in or unavailable
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

func main() {
	os.Exit(run())
}

func run() int {
	enc := json.NewEncoder(os.Stdout)
	fail := func(code, msg, fix string) int {
		enc.Encode(response{Error: &helperError{Code: code, Message: msg, Fix: fix}}) //nolint:errcheck // nothing else to tell
		return 0
	}
	if len(os.Args) != 2 {
		return fail("unavailable", "usage: exechelper <directory>", "give the directory as the command's argument")
	}
	dir := os.Args[1]
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return fail("unavailable", "the request is not JSON", "")
	}
	if _, err := os.Stat(filepath.Join(dir, ".locked")); err == nil {
		return fail("not_signed_in", "the secrets directory is locked", "remove "+filepath.Join(dir, ".locked"))
	}
	if req.Source == "" || strings.ContainsAny(req.Source, `/\`) || strings.HasPrefix(req.Source, ".") {
		return fail("not_found", "no source named "+req.Source, "set source: to a file name in "+dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, req.Source+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return fail("not_found", "no source named "+req.Source+" in "+dir, "")
	}
	if err != nil {
		return fail("unavailable", "cannot read the source's file", "")
	}
	all := map[string]string{}
	if err := json.Unmarshal(b, &all); err != nil {
		return fail("unavailable", "the source's file is not a JSON object of strings", "")
	}
	values := all
	if len(req.Keys) > 0 {
		values = map[string]string{}
		for _, k := range req.Keys {
			if v, ok := all[k]; ok {
				values[k] = v
			}
		}
	}
	if err := enc.Encode(response{Values: values}); err != nil {
		return 1
	}
	return 0
}
