package envfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/envfile"
	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

func TestContract(t *testing.T) {
	t.Run("envfile", func(t *testing.T) {
		porttest.EnvFiles(t, func(t *testing.T, dir string, want map[string]string) ports.EnvFiles {
			body := "# tokens\nPROD_TOKEN='a#b=c'\nEMPTY=\nexport SPACED=\"two words\"\n"
			if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return envfile.New()
		})
	})
	t.Run("memory", func(t *testing.T) {
		porttest.EnvFiles(t, func(t *testing.T, dir string, want map[string]string) ports.EnvFiles {
			return memory.EnvFiles{filepath.Join(dir, ".env"): want}
		})
	})
}

func TestReadNeverChangesProcessEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	if err := os.WriteFile(p, []byte("HALOY_TEST_ENVFILE_ONLY=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := envfile.New().Read(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if v, ok := os.LookupEnv("HALOY_TEST_ENVFILE_ONLY"); ok {
		t.Errorf("after Read, HALOY_TEST_ENVFILE_ONLY = %q in the process environment, want unset", v)
	}
}

func TestReadErrorNamesLineNotContent(t *testing.T) {
	const secret = "tok-9f8e7d6c5b4a"
	dir := t.TempDir()
	p := filepath.Join(dir, ".env.local")
	if err := os.WriteFile(p, []byte("A=1\nthis is "+secret+" not a pair\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := envfile.New().Read(context.Background(), p)
	var got *core.Error
	if !errors.As(err, &got) {
		t.Fatalf("Read(%q) error = %v, want *core.Error", p, err)
	}
	want := &core.Error{Kind: core.Invalid, What: "cannot parse " + p + ":2",
		Why: "the line is not NAME=value (or it has unbalanced quotes)", Fix: "fix that line; quote values that hold spaces or #"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
		t.Errorf("Read(%q) error mismatch (-want +got):\n%s", p, diff)
	}
	if strings.Contains(got.What+got.Why+got.Fix, secret) {
		t.Errorf("Read error %q quotes the file's content", got)
	}
}

// A quote left open to the end of the file is an error gotenv ties to no
// line: the message names the file alone, never a made-up line 0.
func TestReadUnclosedQuoteNamesFileOnly(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte("A=1\nTOKEN=\"tok-9f8e7d6c5b4a\nB=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := envfile.New().Read(context.Background(), p)
	var got *core.Error
	if !errors.As(err, &got) {
		t.Fatalf("Read(%q) error = %v, want *core.Error", p, err)
	}
	if want := "cannot parse " + p; got.What != want {
		t.Errorf("Read(%q) error What = %q, want %q", p, got.What, want)
	}
}
