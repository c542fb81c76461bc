package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/ports"
)

func TestCommandsContract(t *testing.T) {
	porttest.Commands(t, func(t *testing.T, behave map[string]porttest.Command) ports.Commands {
		c := &memory.Commands{Lines: map[string][]string{}, Exit: map[string]int{}, Block: map[string]bool{}}
		for cmd, b := range behave {
			c.Lines[cmd], c.Exit[cmd], c.Block[cmd] = b.Lines, b.Exit, b.Block
		}
		return c
	})
}
