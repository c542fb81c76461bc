package httpserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TestStoreRemovedFailsClosed: deleting the database under a running
// server split it in two (old pooled connections accepted a token, new
// ones refused it). Now it refuses every token, says why in its log, and
// Serve returns the error, so that haloyadm exits non-zero.
func TestStoreRemovedFailsClosed(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- f.srv.Serve(ctx, core.ServeOptions{Listen: "127.0.0.1:0"}, func(a string) { addrc <- a })
	}()
	base := <-addrc
	get := func() int {
		req, _ := http.NewRequest("GET", base+"/v1/version", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0 // the server is gone: refused too
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r.StatusCode
	}
	for range 5 {
		if code := get(); code != 200 {
			t.Fatalf("GET /v1/version = %d, want 200", code)
		}
	}
	if err := os.Remove(filepath.Join(f.dir, "haloyadm.db")); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if code := get(); code == 200 {
			t.Fatalf("GET /v1/version %d after the database was deleted = 200, want a refusal", i+1)
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ports.ErrStoreGone) {
			t.Errorf("Serve() = %v, want an error wrapping ErrStoreGone", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve() still running 15 s after the database was deleted")
	}
	logged := strings.Join(f.notes.Warnings, "\n")
	if !strings.Contains(logged, "was removed or replaced while in use") || !strings.Contains(logged, "refusing every token and stopping") {
		t.Errorf("warnings = %q, want the reason and that the server stops", logged)
	}
}
