package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// smallFS mounts a 16 MiB tmpfs for the test (root only), or skips.
func smallFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes into dir until the filesystem is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last blocks too
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}

// TestRevokeOnFullDisk: on a full filesystem a revoke must still succeed,
// and the token must be refused afterwards (revoke failed and the token
// kept working).
func TestRevokeOnFullDisk(t *testing.T) {
	dir := smallFS(t)
	s := newStore(t, dir)
	ctx := context.Background()
	var toks []string
	for _, name := range []string{"ci-1", "ci-2", "ci-3"} {
		tok, _ := createToken(t, s, name)
		toks = append(toks, tok)
	}
	fill(t, dir)
	for i, name := range []string{"ci-1", "ci-2"} {
		if _, err := s.Revoke(ctx, name, time.Now(), "haloyadm"); err != nil {
			t.Fatalf("Revoke(%q) on a full disk: %v", name, err)
		}
		rec, found, err := s.Lookup(ctx, core.HashAPIToken(toks[i]))
		if err != nil || !found || rec.RevokedAt.IsZero() {
			t.Errorf("Lookup of %q after the revoke = %+v, %v, %v; want it revoked", name, rec, found, err)
		}
	}
	// a new store handle (the next haloyadm command) sees it too
	other := newStore(t, dir)
	if rec, _, err := other.Lookup(ctx, core.HashAPIToken(toks[0])); err != nil || rec.RevokedAt.IsZero() {
		t.Errorf("another handle's Lookup = %+v, %v; want revoked", rec, err)
	}
}

// TestPruneOnFullDisk: on a full filesystem a prune fails with the fix
// and deletes nothing, and it leaves the reserve to a revoke, which still
// succeeds after it.
func TestPruneOnFullDisk(t *testing.T) {
	dir := smallFS(t)
	s := newStore(t, dir)
	ctx := context.Background()
	t0 := time.Now().Add(-48 * time.Hour)
	for i := range 20 {
		name := fmt.Sprintf("ci-%d", i)
		if _, err := s.Create(ctx, core.NewTokenRecord{Name: name, Hash: core.HashAPIToken("haloy_full_" + name), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := createToken(t, s, "laptop")
	fill(t, dir)
	_, err := s.Prune(ctx, time.Now())
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unavailable || !strings.HasPrefix(ce.Fix, "free space on that disk (df -h "+dir) {
		t.Fatalf("Prune() on a full disk = %#v, want a *core.Error of Kind Unavailable with the fix", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 21 {
		t.Errorf("List() after a failed prune = %d tokens, %v; want all 21", len(list), err)
	}
	if _, err := s.Revoke(ctx, "laptop", time.Now(), "haloyadm"); err != nil {
		t.Fatalf("Revoke() after a failed prune on a full disk: %v", err)
	}
	if rec, _, err := s.Lookup(ctx, core.HashAPIToken(tok)); err != nil || rec.RevokedAt.IsZero() {
		t.Errorf("Lookup of laptop after the revoke = %+v, %v; want revoked", rec, err)
	}
}
