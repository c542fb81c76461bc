package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestSecretsContract(t *testing.T) {
	porttest.SecretSource(t, func(t *testing.T, items porttest.SecretItems) ports.SecretSource {
		m := map[string]map[string]core.Secret{}
		for k, fields := range items {
			m[k] = map[string]core.Secret{}
			for l, v := range fields {
				m[k][l] = core.Secret(v)
			}
		}
		return memory.NewSecrets(m)
	})
}

func TestSecretsBackendContract(t *testing.T) {
	porttest.SecretBackendContract(t, porttest.SecretBackend{
		Provider: "onepassword",
		Settings: func(item string) map[string]string { return map[string]string{"vault": "Infrastructure", "item": item} },
		Required: "item",
		New: func(t *testing.T, items porttest.SecretItems) porttest.SecretFixture {
			m := map[string]map[string]core.Secret{}
			for k, fields := range items {
				m["Infrastructure/"+k] = map[string]core.Secret{}
				for l, v := range fields {
					m["Infrastructure/"+k][l] = core.Secret(v)
				}
			}
			s := memory.NewSecrets(m)
			return porttest.SecretFixture{Source: s,
				Reads: func() int {
					n := 0
					for _, c := range s.Calls() {
						n += c
					}
					return n
				},
				SignOut: func() { s.SignedOut = true }}
		},
	})
}
