package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
)

func TestServerAPIContract(t *testing.T) {
	porttest.ServerAPI(t, func(t *testing.T, version string, tokens map[string]string) porttest.ServerAPIHarness {
		api := memory.NewServerAPI()
		api.Add("mem.haloy.example", &memory.Server{Version: version, Tokens: tokens})
		return porttest.ServerAPIHarness{API: api, Server: "mem.haloy.example"}
	})
}
