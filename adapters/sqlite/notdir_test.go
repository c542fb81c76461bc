package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// A data directory that is a file is a usage error naming HALOY_DATA_DIR,
// not "run haloyadm as root" (issue 16).
func TestDataDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: file})
	defer s.Close()
	_, err := s.List(context.Background())
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.What, "is not a directory") || !strings.Contains(ce.Fix, core.ServerDataDirEnv) {
		t.Errorf("List() with the data dir a file = %v, want Invalid: not a directory, fix naming %s", err, core.ServerDataDirEnv)
	}
}

// HALOY_DATA_DIR=~/data is expanded as Haloy expands it.
func TestDataDirTilde(t *testing.T) {
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: "~/data", "HOME": "/home/u"})
	if got, want := s.Path(), filepath.Join("/home/u/data", sqlite.FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}
