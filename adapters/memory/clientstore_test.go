package memory_test

import (
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestClientStoreContract(t *testing.T) {
	porttest.ClientStore(t, func(t *testing.T) ports.ClientStore {
		return memory.NewClientStore(core.ClientState{})
	})
}

func TestEnvLookup(t *testing.T) {
	e := memory.Env{"SET": "v", "EMPTY": ""}
	for _, tt := range []struct {
		key    string
		want   string
		wantOK bool
	}{{"SET", "v", true}, {"EMPTY", "", true}, {"UNSET", "", false}} {
		got, ok := e.Lookup(tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Lookup(%q) = %q, %v, want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}
