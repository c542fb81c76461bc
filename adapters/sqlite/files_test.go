package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

func wantUnsafe(t *testing.T, err error, want string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Unsafe || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want a *core.Error of Kind Unsafe saying %q", err, want)
	}
}

// TestHostileDataDir: a data directory others can write or own, a database
// of another user, and a symbolic link in place of the database are
// refused before SQLite opens anything; a link is never followed to create
// a file at its target (a symlinked haloyadm.db made root create a 0644
// file there).
func TestHostileDataDir(t *testing.T) {
	ctx := context.Background()
	t.Run("writable_dir", func(t *testing.T) {
		dir := t.TempDir()
		os.Chmod(dir, 0o777|os.ModeSticky)
		_, err := newStore(t, dir).List(ctx)
		wantUnsafe(t, err, "is writable by other users: its mode is 1777")
	})
	t.Run("dangling_link_not_followed", func(t *testing.T) {
		dir, elsewhere := t.TempDir(), t.TempDir()
		target := filepath.Join(elsewhere, "created-through-link")
		os.Symlink(target, filepath.Join(dir, "haloyadm.db"))
		_, err := newStore(t, dir).List(ctx)
		wantUnsafe(t, err, "is a symbolic link")
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("opening the store created %s through the link (stat: %v)", target, err)
		}
	})
	t.Run("wal_link", func(t *testing.T) {
		dir := t.TempDir()
		newStore(t, dir).List(ctx)
		os.Remove(filepath.Join(dir, "haloyadm.db-wal"))
		os.Symlink(filepath.Join(t.TempDir(), "x"), filepath.Join(dir, "haloyadm.db-wal"))
		_, err := newStore(t, dir).List(ctx)
		wantUnsafe(t, err, "is a symbolic link")
	})
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	t.Run("dir_of_another_user", func(t *testing.T) {
		dir := t.TempDir()
		os.Chown(dir, 65534, 65534)
		_, err := newStore(t, dir).List(ctx)
		wantUnsafe(t, err, "is owned by another user (uid 65534)")
	})
	t.Run("database_of_another_user", func(t *testing.T) {
		dir := t.TempDir()
		s := newStore(t, dir)
		s.List(ctx)
		s.Close()
		os.Chown(filepath.Join(dir, "haloyadm.db"), 65534, 65534)
		_, err := newStore(t, dir).List(ctx)
		wantUnsafe(t, err, "is owned by another user (uid 65534)")
	})
}

// TestDeploymentRetention: a store keeps each app's newest records only.
func TestDeploymentRetention(t *testing.T) {
	s := newStore(t, t.TempDir())
	s.SetKeepPerApp(3)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for i := range 6 {
		app := "web"
		if i == 5 {
			app = "api"
		}
		d := core.DeploymentRecord{TokenID: 1, TokenName: "ci", ReceivedAt: t0.Add(time.Duration(i) * time.Second)}
		d.ID, d.App = fmt.Sprintf("d%d", i), app
		if err := s.Record(ctx, d); err != nil {
			t.Fatalf("Record(d%d): %v", i, err)
		}
	}
	got, err := s.History(ctx, "web")
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if err != nil || strings.Join(ids, ",") != "d4,d3,d2" {
		t.Errorf("History(web) = %v, %v; want d4,d3,d2 (the newest 3)", ids, err)
	}
	if got, _ := s.History(ctx, "api"); len(got) != 1 {
		t.Errorf("History(api) = %d records, want 1 (retention is per app)", len(got))
	}
}
