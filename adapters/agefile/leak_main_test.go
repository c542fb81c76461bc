package agefile_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leaves a goroutine behind
// (a connection, a child process's reader, a worker of a fan-out).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
