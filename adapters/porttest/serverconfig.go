package porttest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ServerConfig runs the contract of ports.ServerConfig against the fresh,
// never initialized configs that open returns.
func ServerConfig(t *testing.T, open func(t *testing.T) ports.ServerConfig) {
	ctx := context.Background()
	t.Run("missing_is_not_initialized", func(t *testing.T) {
		_, err := open(t).Load(ctx)
		ce := wantKind(t, "Load()", err, core.Missing)
		if want := "haloyadm is not initialized on this server"; ce.What != want {
			t.Errorf("Load() what = %q, want %q", ce.What, want)
		}
	})
	t.Run("save_and_load", func(t *testing.T) {
		c := open(t)
		for _, s := range []core.ServerSettings{{APIDomain: "api.example.com"}, {}, {APIDomain: "haloy.example.org"}} {
			if err := c.Save(ctx, s); err != nil {
				t.Fatalf("Save(%+v) = %v", s, err)
			}
			got, err := c.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s, got); diff != "" {
				t.Errorf("Load() after Save mismatch (-want +got):\n%s", diff)
			}
		}
	})
}
