package sqlite_test

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// Revoking a name reports its current token, else the newest: here a
// database edited by hand lost the current token of a rotated name, so
// all three tokens left were replaced; the newest of them is reported,
// and all three are revoked.
func TestRevokeNameWithoutCurrentReportsNewest(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO tokens (id, name, hash, created_at, replaced_by) VALUES
		(1, 'ci', randomblob(32), 1, 2), (2, 'ci', randomblob(32), 2, 3), (3, 'ci', randomblob(32), 3, 4)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Revoke(ctx, "ci", time.Now(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != 3 {
		t.Errorf("Revoke(ci) of three replaced tokens 1, 2, 3 reported token %d, want 3 (the newest)", rec.ID)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("List() = %d tokens, want 3", len(list))
	}
	for _, r := range list {
		if r.RevokedAt.IsZero() {
			t.Errorf("token %d not revoked after Revoke(ci)", r.ID)
		}
	}
}
