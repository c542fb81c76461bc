package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tokenOnCommandLine matches a hint that has the user type a token after
// `haloy server add`, where shell history and ps would keep it.
var tokenOnCommandLine = regexp.MustCompile(`server add[^,;\n]*<(new-)?token>`)

// TestHintsKeepTokensOutOfHistory: every hint of every error or note that
// suggests `haloy server add` has the token piped in (--token-stdin) or
// typed at the prompt, never given as an argument.
func TestHintsKeepTokensOutOfHistory(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" || d.Name() == "tools") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if tokenOnCommandLine.MatchString(line) {
				t.Errorf("%s:%d: a hint puts the token on the command line: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
