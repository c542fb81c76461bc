package httpserver

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a server, a shutdown or a request
// leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
