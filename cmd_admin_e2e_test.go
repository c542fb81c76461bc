package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// TestAdminBinary builds the binary and runs it as haloyadm (through a
// link of that name) in throwaway directories: init, api token, list,
// revoke, and serve on 127.0.0.1:0 answering real calls, with a revoke from
// a second process taking effect on the next request, and a clean stop on
// SIGTERM.
func TestAdminBinary(t *testing.T) {
	_, adm := builtBinary(t)
	dir := t.TempDir()
	env := []string{"HALOY_CONFIG_DIR=" + filepath.Join(dir, "etc"), "HALOY_DATA_DIR=" + filepath.Join(dir, "data"), "PATH=" + os.Getenv("PATH")}
	var tokens []string
	// outputs, the server's log, its config and its database: no token
	scan := leakscan.New(t)
	scan.Dir(filepath.Join(dir, "etc"))
	scan.Dir(filepath.Join(dir, "data"))
	noToken := func(where, s string) {
		t.Helper()
		for _, tok := range tokens {
			if strings.Contains(s, tok) {
				t.Errorf("%s shows a token:\n%s", where, s)
			}
		}
	}
	haloyadm := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(adm, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("haloyadm %q = exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, stdout.String(), stderr.String())
		}
		noToken("stderr of haloyadm "+strings.Join(args, " "), stderr.String())
		scan.Output("stderr of haloyadm "+strings.Join(args, " "), stderr.Bytes())
		return stdout.String(), stderr.String()
	}
	newToken := func(args ...string) string {
		t.Helper()
		out, _ := haloyadm(0, args...)
		tok := strings.TrimSuffix(out, "\n")
		if !core.LooksLikeAPIToken(tok) {
			t.Fatalf("haloyadm %q stdout = %q, want a token alone", args, out)
		}
		tokens = append(tokens, tok)
		scan.Secret(args[0]+" token", tok)
		return tok
	}

	_, stderr := haloyadm(2, "api", "token")
	if !strings.Contains(stderr, "haloyadm is not initialized") {
		t.Errorf("api token before init: stderr = %q", stderr)
	}
	first := newToken("init", "--api-domain", "api.example.com")
	if out, _ := haloyadm(0, "init"); out != "" {
		t.Errorf("second init printed %q, want nothing on stdout", out)
	}
	ci := newToken("api", "token", "--name", "ci", "--expires", "1d")
	list, _ := haloyadm(0, "api", "token", "list")
	if !strings.Contains(list, "ci ") || strings.Count(list, "active") != 2 {
		t.Errorf("list = %q, want two active tokens, one named ci", list)
	}
	noToken("list", list)

	// serve, in the background
	srv := exec.Command(adm, "serve", "--listen", "127.0.0.1:0")
	srv.Env = env
	pipe, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base string
	var logged []string
	select {
	case l := <-lines:
		logged = append(logged, l)
		var ok bool
		if base, ok = strings.CutPrefix(l, "haloyadm: serving on "); !ok {
			t.Fatalf("serve's first line = %q, want the address", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not announce its address")
	}
	call := func(method, path, tok, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := call("GET", "/health", "", ""); code != 200 || body != `{"status":"ok","service":"haloyd","version":"`+e2eVersion+`"}`+"\n" {
		t.Errorf("GET /health = %d %s", code, body)
	}
	if code, body := call("GET", "/v1/version", first, ""); code != 200 || !strings.Contains(body, `"haloyd":"`+e2eVersion+`"`) {
		t.Errorf("GET /v1/version = %d %s", code, body)
	}
	if code, _ := call("GET", "/v1/version", "", ""); code != 401 {
		t.Errorf("GET /v1/version without a token = %d, want 401", code)
	}
	code, body := call("POST", "/v1/deploy", ci, `{"deploymentID":"01jdz3t4q9w2v1s6m8k0r5e2e0","targetConfig":{"name":"web","server":"localhost","image":{"repository":"nginx","tag":"1.27"},"env":[{"name":"DATABASE_URL","value":"x"}]},"rollbackDeployConfig":{}}`)
	if code != 202 {
		t.Errorf("POST /v1/deploy = %d %s, want 202", code, body)
	}
	code, body = call("GET", "/v1/status/web", first, "")
	var st core.StatusResponse
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 || len(st.Deployments) != 1 || st.Deployments[0].TokenName != "ci" {
		t.Errorf("GET /v1/status/web = %d %s, want the deployment authorized by ci", code, body)
	}
	// a token created and one revoked by other processes, seen without restart
	late := newToken("api", "token", "--name", "late")
	if code, _ := call("GET", "/v1/version", late, ""); code != 200 {
		t.Errorf("token created while serving = %d, want 200", code)
	}
	haloyadm(0, "api", "token", "revoke", "ci")
	if code, _ := call("GET", "/v1/version", ci, ""); code != 401 {
		t.Errorf("token revoked while serving = %d, want 401", code)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		logged = append(logged, l)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v, want exit 0", err)
	}
	all := strings.Join(logged, "\n")
	noToken("serve's log", all)
	scan.Output("serve's log", []byte(all))
	for _, want := range []string{`route="GET /v1/version" reason=missing`, `reason=revoked token "ci"`, "haloyadm: stopped"} {
		if !strings.Contains(all, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, all)
		}
	}
	list, _ = haloyadm(0, "api", "token", "list")
	if !strings.Contains(list, "revoked") {
		t.Errorf("list after revoke = %q, want ci revoked", list)
	}

	// a token minted by an OIDC exchange 40 days ago, long expired: prune
	// lists it with --dry-run, keeping it, then deletes it; the recently
	// revoked ci stays (a month of ended tokens is kept)
	var raw [core.APITokenBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatal(err)
	}
	minted := core.FormatAPIToken(raw)
	tokens = append(tokens, minted)
	scan.Secret("minted token", minted)
	store := sqlite.New(memory.Env{core.ServerDataDirEnv: filepath.Join(dir, "data")})
	ended := time.Now().Add(-40 * 24 * time.Hour)
	if _, err := store.Create(context.Background(), core.NewTokenRecord{Name: "gh-acme.web-main-run1.1-3f2a9c", Hash: core.HashAPIToken(minted),
		CreatedAt: ended.Add(-15 * time.Minute), ExpiresAt: ended, CreatedBy: "oidc policy 1 (GitHub Actions)"}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"api", "token", "prune", "--dry-run"}, {"api", "token", "prune", "--json"}, {"api", "token", "prune"}} {
		out, _ := haloyadm(0, args...)
		noToken("stdout of haloyadm "+strings.Join(args, " "), out)
		scan.Output("stdout of haloyadm "+strings.Join(args, " "), []byte(out))
		want := map[string]string{"--dry-run": "would prune 1 token that ended before", "--json": `"name": "gh-acme.web-main-run1.1-3f2a9c"`, "prune": "nothing to prune"}[args[len(args)-1]]
		if !strings.Contains(out, want) {
			t.Errorf("haloyadm %q stdout = %q, want %q", args, out, want)
		}
	}
	list, _ = haloyadm(0, "api", "token", "list")
	if strings.Contains(list, "gh-acme") || !strings.Contains(list, "ci ") {
		t.Errorf("list after prune = %q, want the minted token gone and ci kept", list)
	}

	// a store readable by others: serve refuses to start
	db := filepath.Join(dir, "data", "haloyadm.db")
	if err := os.Chmod(db, 0o640); err != nil {
		t.Fatal(err)
	}
	_, stderr = haloyadm(2, "serve", "--listen", "127.0.0.1:0")
	if want := fmt.Sprintf("haloyadm: hint: chmod 600 %s*\n", db); !strings.HasSuffix(stderr, want) {
		t.Errorf("serve with a 0640 store: stderr = %q, want it to end with %q", stderr, want)
	}
}
