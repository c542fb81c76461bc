package porttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePrologue starts every fake program: it appends its argv to "argv"
// (arguments separated by \037, one call per line, one write per call so
// that concurrent calls never interleave), hangs when file "slow" exists,
// and defines item_file, the file that holds an item's answer (its name
// with '/' written as %2F).
const fakePrologue = `#!/bin/sh
d=$(dirname "$0")
us=$(printf '\037')
line=""
for a in "$@"; do line="$line$a$us"; done
printf '%s\n' "$line" >>"$d/argv"
if [ -f "$d/slow" ]; then exec sleep 30; fi
item_file() { printf '%s/items/%s' "$d" "$(printf '%s' "$1" | sed 's|/|%2F|g')"; }
`

// FakeCLI is a fake command-line program in a temporary directory: a shell
// script that records its argv and answers from files the test writes.
type FakeCLI struct {
	// Bin is the program's path.
	Bin string
	dir string
}

// NewFakeCLI writes program name: the common prologue (argv log, "slow"),
// then body, shell code that answers from the files under items/.
func NewFakeCLI(t testing.TB, name, body string) *FakeCLI {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, name)
	if err := os.WriteFile(bin, []byte(fakePrologue+body), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "items"), 0o700); err != nil {
		t.Fatal(err)
	}
	return &FakeCLI{Bin: bin, dir: dir}
}

// Item stores what the program prints for item name.
func (f *FakeCLI) Item(t testing.TB, name string, answer []byte) {
	t.Helper()
	p := filepath.Join(f.dir, "items", ItemFileName(name))
	if err := os.WriteFile(p, answer, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Set creates file behaviour next to the program ("slow", "signedout", or
// one a body tests for) holding content.
func (f *FakeCLI) Set(t testing.TB, behaviour, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, behaviour), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Calls returns the argv of every call so far, in order.
func (f *FakeCLI) Calls(t testing.TB) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "argv"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		calls = append(calls, strings.Split(strings.TrimSuffix(line, "\037"), "\037"))
	}
	return calls
}

// NewWrapper writes program name that records its argv and runs the real
// program at real with the same arguments: to count a real tool's runs.
func NewWrapper(t testing.TB, name, real string) *FakeCLI {
	return NewFakeCLI(t, name, `exec "`+real+`" "$@"`+"\n")
}
