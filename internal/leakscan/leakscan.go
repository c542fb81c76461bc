// Package leakscan is a test helper: it collects everything a test's
// processes wrote where a secret must never be (stdout, stderr, the
// server's log, config files other than the one meant to hold tokens, the
// server's database) and fails the test if any of it holds a token or
// secret, or any 12 or more consecutive characters of one.
//
// Only tests import it.
package leakscan

import (
	"bytes"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
)

// Window is the length of the shortest piece of a secret that counts as a
// leak. A secret shorter than Window leaks only whole.
const Window = 12

// Scan gathers secrets and the places to look for them. Its methods are
// safe for concurrent use; Writer's writers may be written from any goroutine.
type Scan struct {
	t testing.TB

	mu      sync.Mutex
	secrets []secret
	texts   []*text
	dirs    []dir
	files   []string
	checked bool
}

type secret struct{ name, value string }

type text struct {
	name string
	mu   sync.Mutex
	buf  bytes.Buffer
}

type dir struct {
	path string
	skip []string // base names not to read: the files meant to hold secrets
}

// New returns a scan that runs when the test ends (t.Cleanup), unless
// Check ran before.
func New(t testing.TB) *Scan {
	s := &Scan{t: t}
	t.Cleanup(func() {
		s.mu.Lock()
		done := s.checked
		s.mu.Unlock()
		if !done {
			s.Check()
		}
	})
	return s
}

// Secret adds a value that must not appear anywhere scanned; name says in
// a failure which secret leaked (the value itself is never printed).
// Empty values are ignored.
func (s *Scan) Secret(name, value string) {
	if value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, secret{name, value})
}

// Writer returns a writer whose bytes are scanned under name, e.g. a
// process's stdout. It keeps everything written; Text returns it.
func (s *Scan) Writer(name string) io.Writer {
	tx := &text{name: name}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, tx)
	return tx
}

func (tx *text) Write(p []byte) (int, error) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.buf.Write(p)
}

// Text returns what was written to w, a writer that Writer returned.
func Text(w io.Writer) string {
	tx, ok := w.(*text)
	if !ok {
		return ""
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.buf.String()
}

// Output scans data under name, e.g. a process's combined output.
func (s *Scan) Output(name string, data []byte) {
	w := s.Writer(name)
	w.Write(data) //nolint:errcheck // a bytes.Buffer does not fail
}

// File scans the file at path as it is when Check runs; a missing file is
// nothing to scan.
func (s *Scan) File(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = append(s.files, path)
}

// Dir scans every regular file under path (recursively) as they are when
// Check runs, except files whose base name is in skip (e.g. ".env", the
// file meant to hold tokens). Binary files such as an SQLite database and
// its WAL are scanned byte for byte.
func (s *Scan) Dir(path string, skip ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs = append(s.dirs, dir{path, skip})
}

// Check scans now and reports each leak as a test error. It returns the
// number of leaks found, so that a test of the scanner can count them.
func (s *Scan) Check() int {
	s.t.Helper()
	s.mu.Lock()
	s.checked = true
	secrets := slices.Clone(s.secrets)
	type blob struct {
		name string
		data []byte
	}
	var blobs []blob
	for _, tx := range s.texts {
		tx.mu.Lock()
		blobs = append(blobs, blob{tx.name, bytes.Clone(tx.buf.Bytes())})
		tx.mu.Unlock()
	}
	files := slices.Clone(s.files)
	for _, d := range s.dirs {
		filepath.WalkDir(d.path, func(p string, e iofs.DirEntry, err error) error { //nolint:errcheck // a missing dir is nothing to scan
			if err != nil || !e.Type().IsRegular() || slices.Contains(d.skip, e.Name()) {
				return nil
			}
			files = append(files, p)
			return nil
		})
	}
	s.mu.Unlock()
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		blobs = append(blobs, blob{f, data})
	}
	if len(secrets) == 0 {
		s.t.Errorf("leakscan: no secrets to look for; call Secret before Check")
		return 0
	}
	if len(blobs) == 0 {
		s.t.Errorf("leakscan: nothing to scan; a scan that looks at nothing cannot fail")
		return 0
	}
	leaks := 0
	for _, b := range blobs {
		for _, sec := range secrets {
			if at, n := Find(b.data, sec.value); at >= 0 {
				leaks++
				s.t.Errorf("leakscan: %s holds %d characters of secret %s (at byte %d of %d)", b.name, n, sec.name, at, len(b.data))
			}
		}
	}
	return leaks
}

// Find returns where in data a piece of secret starts, and that piece's
// length: the whole secret if it is shorter than Window, else any Window
// consecutive bytes of it. It returns -1, 0 when data holds no such piece.
func Find(data []byte, secret string) (at, n int) {
	if secret == "" {
		return -1, 0
	}
	if len(secret) <= Window {
		if at = bytes.Index(data, []byte(secret)); at < 0 {
			return -1, 0
		}
		return at, len(secret)
	}
	for i := 0; i+Window <= len(secret); i++ {
		if j := bytes.Index(data, []byte(secret[i:i+Window])); j >= 0 {
			return j, Window
		}
	}
	return -1, 0
}
