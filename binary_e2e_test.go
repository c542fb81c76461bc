package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// e2eVersion is the version the built binary reports (/health, /v1/version).
const e2eVersion = "1.0.0-e2e"

var built struct {
	once         sync.Once
	haloy, admin string
	out          []byte
	err          error
}

// builtBinary builds haloy once per test run (-X main.version=e2eVersion),
// next to a link named haloyadm, and returns both paths. The directory is
// removed when the package's tests end (TestMain).
func builtBinary(t *testing.T) (haloy, haloyadm string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "haloy-e2e-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.haloy, built.admin = filepath.Join(dir, "haloy"), filepath.Join(dir, "haloyadm")
		built.out, built.err = exec.Command("go", "build", "-ldflags", "-X main.version="+e2eVersion, "-o", built.haloy, ".").CombinedOutput()
		if built.err == nil {
			built.err = os.Symlink("haloy", built.admin)
		}
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.haloy, built.admin
}

// removeBuiltBinary deletes what builtBinary made.
func removeBuiltBinary() {
	if built.haloy != "" {
		os.RemoveAll(filepath.Dir(built.haloy))
	}
}
