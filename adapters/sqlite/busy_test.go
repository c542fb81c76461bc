package sqlite

import (
	"context"
	"sync"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// Several processes opening a new token database at the same moment (a
// haloyadm serve starting while an admin runs haloyadm api token) all open
// it: one makes the tables and turns on WAL, the others wait and read it.
// SQLite can answer SQLITE_BUSY there without calling the busy handler
// (another connection switching the journal mode); it once failed the
// trust contract's concurrent test about once in fifteen runs.
func TestConcurrentFirstOpen(t *testing.T) {
	ctx := context.Background()
	for round := range 30 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := New(memory.Env{core.ServerDataDirEnv: dir})
				defer s.Close()
				if _, err := s.List(ctx); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: a store opening a new database at the same time as 7 others: %v", round, err)
		}
	}
}
