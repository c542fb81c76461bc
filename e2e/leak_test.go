package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/haloy-auth/haloy/internal/leakscan"
)

// minLeak is the shortest piece of a token that counts as a leak
// (leakscan.Window): any 12 characters of one are enough to narrow a
// brute-force search, and do not occur by chance in our output.
const minLeak = leakscan.Window

// leaks collects every token the suite creates and every text it captures.
var leaks = &leakScan{}

// leakScan checks captured texts for tokens. It is safe for concurrent use.
type leakScan struct {
	mu      sync.Mutex
	secrets []string
	texts   []captured
	bytes   int
}

type captured struct{ label, text string }

// Secret registers a token: from now on, no captured text may hold it.
func (l *leakScan) Secret(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.secrets, s) {
		l.secrets = append(l.secrets, s)
	}
}

// Capture records text under label and reports it to t if it holds a token
// already registered. TestMain checks it again against every token.
func (l *leakScan) Capture(t *testing.T, label, text string) {
	t.Helper()
	l.mu.Lock()
	l.texts = append(l.texts, captured{label, text})
	l.bytes += len(text)
	secrets := slices.Clone(l.secrets)
	l.mu.Unlock()
	if piece, ok := findLeak(text, secrets); ok {
		t.Errorf("%s holds (part of) a token: %q\n%s", label, piece, text)
	}
}

// CaptureDir records every file under dir except those skip accepts.
func (l *leakScan) CaptureDir(t *testing.T, label, dir string, skip func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if skip != nil && skip(rel) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		l.Capture(t, label+" file "+rel, string(b))
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Errorf("scan %s: %v", dir, err)
	}
}

// Report checks every captured text against every token and describes the
// leaks, or returns "".
func (l *leakScan) Report() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, c := range l.texts {
		if piece, ok := findLeak(c.text, l.secrets); ok {
			fmt.Fprintf(&b, "  %s holds %q\n", c.label, piece)
		}
	}
	return b.String()
}

// Summary says how much was captured.
func (l *leakScan) Summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d captured texts (%d bytes)", len(l.texts), l.bytes)
}

// Count is the number of tokens registered.
func (l *leakScan) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.secrets)
}

// tokenShape matches what haloyadm issues (core.APITokenPrefix, then
// base64url), registered or not: a token the suite never saw, such as one
// the demo creates, is caught too.
var tokenShape = regexp.MustCompile(`haloy_[A-Za-z0-9_-]{` + strconv.Itoa(minLeak) + `,}`)

// findLeak returns the first piece of a secret, minLeak characters or more
// (the whole secret when it is shorter), that text holds, or else the
// first thing in text shaped like a token.
func findLeak(text string, secrets []string) (string, bool) {
	if piece, ok := findSecret(text, secrets); ok {
		return piece, true
	}
	if m := tokenShape.FindString(text); m != "" {
		return m, true
	}
	return "", false
}

// findSecret returns the piece of the first secret that text holds, as
// leakscan.Find defines a piece.
func findSecret(text string, secrets []string) (string, bool) {
	for _, s := range secrets {
		if at, n := leakscan.Find([]byte(text), s); at >= 0 {
			return text[at : at+n], true
		}
	}
	return "", false
}

func TestFindLeak(t *testing.T) {
	const tok = "haloy_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abc"
	tests := []struct {
		name string
		text string
		want string // "" for no leak
	}{
		{"whole_token", "token: " + tok + "\n", "haloy_AbCdEf"},
		{"twelve_chars_from_the_middle", "...xYz0123456789-_ab...", "xYz012345678"},
		// 11 characters could be anything: counting them would flag innocent text
		{"eleven_char_tail", "ends with 456789-_abc", ""},
		{"clean", "haloy: error: authentication failed", ""},
		{"unregistered_token", "TOKEN=haloy_zzzzzzzzzzzzzzzz", "haloy_zzzzzzzzzzzzzzzz"},
		{"token_variable_names_are_not_tokens", "HALOY_API_TOKEN_LOCALHOST_40867 haloy_api", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := findLeak(tt.text, []string{tok})
			if got != tt.want {
				t.Errorf("findLeak(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
