package sops_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leaves a goroutine behind
// (a child process's reader), and removes the tools the real round trip
// built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if toolsDir != "" {
			os.RemoveAll(toolsDir) //nolint:errcheck // best effort
		}
		os.Exit(code)
	}))
}
