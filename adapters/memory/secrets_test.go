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
