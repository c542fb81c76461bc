package porttest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/ports"
)

// EnvFiles runs the contract of ports.EnvFiles. newFiles returns the port
// holding, under dir, a file ".env" with the variables of want and nothing
// else.
func EnvFiles(t *testing.T, newFiles func(t *testing.T, dir string, want map[string]string) ports.EnvFiles) {
	want := map[string]string{"PROD_TOKEN": "a#b=c", "EMPTY": "", "SPACED": "two words"}
	t.Run("reads_variables", func(t *testing.T) {
		dir := t.TempDir()
		f := newFiles(t, dir, want)
		got, err := f.Read(context.Background(), filepath.Join(dir, ".env"))
		if err != nil {
			t.Fatalf("Read(.env) error: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Read(.env) mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("missing_file_is_empty", func(t *testing.T) {
		dir := t.TempDir()
		f := newFiles(t, dir, want)
		got, err := f.Read(context.Background(), filepath.Join(dir, ".env.staging"))
		if err != nil {
			t.Fatalf("Read(.env.staging) error: %v", err)
		}
		if len(got) != 0 || got == nil {
			t.Errorf("Read(.env.staging) = %v, want an empty, non-nil map", got)
		}
	})
	t.Run("result_is_a_copy", func(t *testing.T) {
		dir := t.TempDir()
		f := newFiles(t, dir, want)
		got, _ := f.Read(context.Background(), filepath.Join(dir, ".env"))
		got["PROD_TOKEN"] = "changed"
		again, _ := f.Read(context.Background(), filepath.Join(dir, ".env"))
		if again["PROD_TOKEN"] != want["PROD_TOKEN"] {
			t.Errorf("Read after changing a result = %q, want %q", again["PROD_TOKEN"], want["PROD_TOKEN"])
		}
	})
}
