package execsecret_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// helperBin is the example credential helper of docs/examples/exechelper,
// built once for the package's tests: the backend runs a real helper.
var helperBin string

// TestMain builds the example helper, then fails the package's tests if
// any leaves a goroutine behind.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exechelper")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helperBin = filepath.Join(dir, "exechelper")
	if out, err := exec.Command("go", "build", "-o", helperBin, "github.com/haloy-auth/haloy/docs/examples/exechelper").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the example helper: %v\n%s", err, out)
		os.Exit(1)
	}
	code := 0
	func() {
		defer os.RemoveAll(dir)
		code = m.Run()
		if code == 0 {
			if err := goleak.Find(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
	}()
	os.Exit(code)
}
