package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The binaries every test runs, built once by TestMain.
var (
	haloyBin string
	adminBin string
)

// TestMain builds haloy into a temporary directory, with haloyadm as a
// link to it, runs the tests, then scans everything the suite captured for
// every token it saw (a token made late could have leaked early).
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	dir, err := os.MkdirTemp("", "haloy-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	haloyBin = filepath.Join(dir, "haloy")
	adminBin = filepath.Join(dir, "haloyadm")
	build := exec.Command("go", "build", "-o", haloyBin, "github.com/haloy-auth/haloy")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	if err := os.Symlink("haloy", adminBin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if report := leaks.Report(); report != "" {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: tokens leaked:\n"+report)
		code = 1
	} else if code == 0 {
		fmt.Fprintf(os.Stderr, "e2e: scanned %s for %d tokens: no leak\n", leaks.Summary(), leaks.Count())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary skips t in -short mode, where nothing is built.
func needBinary(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
}
