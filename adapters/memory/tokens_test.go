package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/ports"
)

func TestTokensContract(t *testing.T) {
	porttest.TokenStore(t, func(t *testing.T) porttest.TokenHandles {
		s := &memory.Tokens{}
		return porttest.TokenHandles{Store: s, Verifier: s, OtherStore: s, OtherVerifier: s}
	})
}

func TestDeploymentsContract(t *testing.T) {
	porttest.DeploymentLog(t, func(t *testing.T) ports.DeploymentLog { return &memory.Deployments{} })
}

func TestAPIServerContract(t *testing.T) {
	porttest.APIServer(t, func(t *testing.T) ports.APIServer {
		return &memory.APIServer{Addr: "http://127.0.0.1:9922"}
	})
}
