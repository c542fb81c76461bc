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

func TestTokenAPIContract(t *testing.T) {
	porttest.TokenAPI(t, func(t *testing.T) porttest.TokenAPIHarness {
		const admin = "haloy_memTOKENapiADMIN00000000000000000000000000000"
		api := memory.NewServerAPI()
		api.Add("mem.haloy.example", &memory.Server{Version: "1", Tokens: map[string]string{admin: "ops"}})
		return porttest.TokenAPIHarness{Tokens: api, API: api, Server: "mem.haloy.example", AdminToken: admin}
	})
}
