package memory_test

import (
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestAppConfigsContract(t *testing.T) {
	porttest.AppConfigs(t, func(t *testing.T, dir string, apps map[string]string) ports.AppConfigs {
		c := memory.AppConfigs{}
		for p, name := range apps {
			c[filepath.Join(dir, p)] = core.AppConfig{TargetConfig: core.TargetConfig{Name: name}}
		}
		return c
	})
}
