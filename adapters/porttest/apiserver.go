package porttest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// APIServer runs the contract of ports.APIServer against the fresh servers
// that open returns: Serve announces one address through ready, serves
// until its context ends, and then returns nil.
func APIServer(t *testing.T, open func(t *testing.T) ports.APIServer) {
	t.Run("serves_until_cancelled", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addrs := make(chan string, 2)
		done := make(chan error, 1)
		go func() {
			done <- s.Serve(ctx, core.ServeOptions{Listen: "127.0.0.1:0", Version: "1.0.0"}, func(a string) { addrs <- a })
		}()
		select {
		case a := <-addrs:
			if !strings.HasPrefix(a, "http://127.0.0.1:") {
				t.Errorf("ready(%q), want http://127.0.0.1:<port>", a)
			}
		case err := <-done:
			t.Fatalf("Serve() = %v before ready", err)
		case <-time.After(10 * time.Second):
			t.Fatal("ready was not called")
		}
		select {
		case err := <-done:
			t.Fatalf("Serve() = %v before its context ended", err)
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() after cancel = %v, want nil", err)
		}
		if len(addrs) != 0 {
			t.Errorf("ready was called more than once")
		}
	})
}
