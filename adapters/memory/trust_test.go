package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
)

func TestTrustContract(t *testing.T) {
	porttest.TrustStore(t, func(t *testing.T) porttest.TrustHandles {
		m := &memory.Trust{}
		return porttest.TrustHandles{Store: m, Other: m}
	})
}
