package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs scripts/demo.sh, the README's main job, and checks that it
// succeeds, shows every step of the flow, shows the expected failure after
// the revocation, prints no token, stops its server and removes its
// directories.
func TestDemo(t *testing.T) {
	needBinary(t)
	t.Parallel()
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "demo.sh"), filepath.Dir(haloyBin))
	// a caller's haloy set-up must not change the demo: it unsets HALOY_*
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + tmp,
		"HALOY_CONFIG_DIR=" + t.TempDir(), "HALOY_API_TOKEN=haloy_not-a-real-token-but-shaped-like-one"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	text := out.String()
	leaks.Capture(t, "scripts/demo.sh", text)
	if err != nil {
		t.Fatalf("scripts/demo.sh: %v after %s\n%s", err, elapsed.Round(time.Millisecond), text)
	}
	if elapsed > 30*time.Second {
		t.Errorf("scripts/demo.sh took %s; a new user should see the flow in well under a minute", elapsed)
	}
	t.Logf("scripts/demo.sh ran in %s", elapsed.Round(time.Millisecond))

	headings := []string{
		"==> 1. On the server: initialize haloyadm",
		"==> 2. On the server: create an API token",
		"==> 3. On the server: serve the API on 127.0.0.1",
		"==> 4. On your machine: add the server",
		"==> 5. List the servers",
		"==> 6. A sample app whose haloy.yaml takes its token from .env",
		"==> 7. Deploy",
		"==> 8. The deployments the server recorded",
		"==> 9. On the server: revoke the token",
		"==> 10. Deploy again: the server rejects the revoked token",
		"==> 11. On your machine: delete the server",
		"==> 12. Stop the server",
		"Demo complete in",
	}
	last := -1
	for _, h := range headings {
		i := strings.Index(text, h)
		if i < 0 {
			t.Errorf("scripts/demo.sh output lacks %q", h)
			continue
		}
		if i < last {
			t.Errorf("scripts/demo.sh shows %q out of order", h)
		}
		last = i
	}
	wantIn(t, "scripts/demo.sh output", text,
		"--token-stdin\nadded localhost:",
		"from env DEMO_DEPLOY_TOKEN (set in .env)",
		"1 of 1 targets deployed",
		`haloy: error: authentication failed for "localhost:`,
		"was rejected (invalid, revoked or expired)",
		"(exit code 3)",
		"deleted localhost:",
		"haloyadm: stopped",
	)
	if !ulid.MatchString(text) {
		t.Errorf("scripts/demo.sh shows no deployment id")
	}

	// the server is gone: its port refuses connections
	m := regexp.MustCompile(`serving on http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("scripts/demo.sh does not show the server's address")
	}
	if conn, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after the demo", m[1])
	}
	// and its throwaway directories are removed
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("scripts/demo.sh left %d entries in TMPDIR, e.g. %s", len(left), left[0].Name())
	}
}
