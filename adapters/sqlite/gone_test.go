package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TestStoreFileGone: once the database file is deleted or replaced under
// an open store, every lookup fails with ErrStoreGone, the valid token's
// included, and keeps failing after the file is back: pooled connections
// on the old file and new ones on the new file would disagree.
func TestStoreFileGone(t *testing.T) {
	for _, how := range []string{"removed", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir)
			tok, _ := createToken(t, s, "ci")
			h := core.HashAPIToken(tok)
			ctx := context.Background()
			for range 3 { // warm the cache
				if _, found, err := s.Lookup(ctx, h); err != nil || !found {
					t.Fatalf("Lookup() = %v, %v", found, err)
				}
			}
			path := filepath.Join(dir, "haloyadm.db")
			switch how {
			case "removed":
				os.Remove(path)
			case "replaced":
				other := newStore(t, t.TempDir())
				createToken(t, other, "other")
				other.Close()
				os.Rename(filepath.Join(filepath.Dir(other.Path()), "haloyadm.db"), path)
			}
			for range 2 {
				_, found, err := s.Lookup(ctx, h)
				if !errors.Is(err, ports.ErrStoreGone) || found {
					t.Fatalf("Lookup() after the file was %s = %v, %v; want ErrStoreGone", how, found, err)
				}
			}
		})
	}
}
