package leakscan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps errors instead of failing, so that the
// scanner's own failures can be checked.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func TestFind(t *testing.T) {
	const tok = "haloy_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	tests := []struct {
		name   string
		data   string
		secret string
		wantAt int
		wantN  int
	}{
		{"whole", "x " + tok + " y", tok, 2, Window},
		{"twelve_from_the_middle", "log: ..." + tok[20:32] + "...", tok, 8, Window},
		{"eleven_is_not_a_leak", "log: " + tok[20:31], tok, -1, 0},
		{"prefix_only", "haloy_ is the prefix", tok, -1, 0},
		{"short_secret_whole", "value=00123;", "00123", 6, 5},
		{"short_secret_part", "value=0012", "00123", -1, 0},
		{"empty_secret", "anything", "", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, n := Find([]byte(tt.data), tt.secret)
			if at != tt.wantAt || n != tt.wantN {
				t.Errorf("Find(%q, %q) = %d, %d, want %d, %d", tt.data, tt.secret, at, n, tt.wantAt, tt.wantN)
			}
		})
	}
}

func TestScanFindsLeaksEverywhere(t *testing.T) {
	const tok = "haloy_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("T="+tok+"\n"), 0o600)          // meant to hold it
	os.WriteFile(filepath.Join(dir, "client.yaml"), []byte("servers: {}\n"), 0o600) // clean
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	os.WriteFile(filepath.Join(dir, "data", "haloyadm.db-wal"), []byte("\x00\x01"+tok[5:30]+"\x00"), 0o600)
	r := &recorder{TB: t}
	s := New(r)
	s.Secret("token", tok)
	s.Secret("unused", "")
	fmt.Fprintf(s.Writer("stdout"), "added server\n")
	fmt.Fprintf(s.Writer("stderr"), "haloy: error: bad token %s\n", tok[:12])
	s.Output("server log", []byte("auth failure ip=127.0.0.1"))
	s.Dir(dir, ".env")
	s.File(filepath.Join(dir, "missing.txt"))
	if got := s.Check(); got != 2 {
		t.Errorf("Check() = %d leaks, want 2 (stderr and the WAL); errors: %q", got, r.errs)
	}
	joined := strings.Join(r.errs, "\n")
	for _, want := range []string{"stderr holds 12 characters of secret token", "haloyadm.db-wal holds 12 characters of secret token"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors %q lack %q", r.errs, want)
		}
	}
	if strings.Contains(joined, tok[:12]) || strings.Contains(joined, tok[5:17]) {
		t.Errorf("errors print the secret: %q", r.errs)
	}
	for _, f := range r.cleanups {
		f() // Check ran: the cleanup must not scan (and report) again
	}
	if len(r.errs) != 2 {
		t.Errorf("after cleanup, %d errors, want 2: %q", len(r.errs), r.errs)
	}
}

func TestScanRunsAtCleanup(t *testing.T) {
	r := &recorder{TB: t}
	s := New(r)
	s.Secret("secret", "correct-horse-battery-staple")
	fmt.Fprint(s.Writer("stdout"), "battery-staple is fine, correct-horse-battery is not")
	for _, f := range r.cleanups {
		f()
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "stdout holds 12 characters of secret secret") {
		t.Errorf("errors after cleanup = %q, want one leak in stdout", r.errs)
	}
}

// A scan with no secrets or nothing to read cannot fail, so it is an error.
func TestScanRefusesToLookAtNothing(t *testing.T) {
	r := &recorder{TB: t}
	s := New(r)
	s.Output("stdout", []byte("x"))
	s.Check()
	r2 := &recorder{TB: t}
	s2 := New(r2)
	s2.Secret("token", "abc")
	s2.Check()
	if len(r.errs) != 1 || len(r2.errs) != 1 {
		t.Errorf("errors = %q and %q, want one each", r.errs, r2.errs)
	}
}

func TestTextConcurrentWriters(t *testing.T) {
	s := New(&recorder{TB: t})
	w := s.Writer("log")
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 100 {
				fmt.Fprint(w, "x")
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	if got := len(Text(w)); got != 800 {
		t.Errorf("len(Text(w)) = %d, want 800", got)
	}
}
