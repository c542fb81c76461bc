package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/httpclient"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// TestTokenCommandsLeakNothing runs the built binary's token commands
// against a real server: a minted token is printed exactly once, alone on
// stdout of `haloy token create`, and nowhere else: not on stderr, not in
// the output of list, rotate or delete --revoke, not in the server's log,
// not in any file but .env (the rotated token) and the server's database
// (which holds hashes only).
func TestTokenCommandsLeakNothing(t *testing.T) {
	bin, _ := builtBinary(t)
	dir := t.TempDir()
	cfg, data := dir+"/cfg", dir+"/data"
	hs, admin, notes := tokenServer(t, data, nil)
	server := "localhost:" + hs.URL[strings.LastIndex(hs.URL, ":")+1:]
	scan := leakscan.New(t)
	scan.Dir(cfg, ".env")
	scan.Dir(data)

	m, err := admin.Mint(context.Background(), core.MintRequest{Name: "ops", ExpiresAt: time.Now().Add(time.Hour), Grant: core.TokenGrant{Scopes: []core.Scope{core.ScopeAdmin}}, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	scan.Secret("admin token", m.Token.Reveal())
	haloy := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = []string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH")}
		c.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		return stdout.String(), stderr.String(), err
	}
	if _, stderr, err := haloy(m.Token.Reveal()+"\n", "server", "add", server, "--token-stdin"); err != nil {
		t.Fatalf("server add: %v\n%s", err, stderr)
	}
	stdout, stderr, err := haloy("", "token", "create", "--server", server, "--name", "ci-shop", "--scope", "deploy", "--app", "shop")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr)
	}
	minted := strings.TrimSuffix(stdout, "\n")
	if !core.LooksLikeAPIToken(minted) || strings.Count(stdout, minted) != 1 || stdout != minted+"\n" {
		t.Fatalf("token create stdout is not the token alone on one line")
	}
	scan.Secret("minted token", minted)
	scan.Output("token create (stderr)", []byte(stderr))
	for _, args := range [][]string{
		{"token", "list", "-s", server},
		{"token", "list", "-s", server, "--json"},
		{"server", "check"},
		{"server", "rotate", server},
		{"token", "revoke", "-s", server, "ci-shop"},
	} {
		stdout, stderr, err := haloy("", args...)
		if err != nil {
			t.Errorf("haloy %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		scan.Output("haloy "+strings.Join(args, " "), []byte(stdout+stderr))
	}
	rotated := readClientFiles(t, cfg)
	scan.Secret("rotated admin token", rotated.env[rotated.servers[server]])
	// the token records keep who made and who revoked each, as the API shows them
	stdout, stderr, err = haloy("", "token", "list", "-s", server, "--json")
	if err != nil {
		t.Fatalf("token list --json: %v\n%s", err, stderr)
	}
	var infos []core.TokenInfo
	if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
		t.Fatalf("token list --json %q: %v", stdout, err)
	}
	var actors []string
	for _, i := range infos {
		actors = append(actors, fmt.Sprintf("%d %s: created by %s, revoked by %q", i.ID, i.Name, i.CreatedBy, i.RevokedBy))
	}
	wantActors := []string{
		`1 ops: created by test, revoked by "itself"`, // haloy server rotate revokes the old token with itself
		`2 ci-shop: created by token "ops" (id 1), revoked by "token \"ops\" (id 3)"`,
		`3 ops: created by rotation of id 1 by itself, revoked by ""`,
	}
	if diff := cmp.Diff(wantActors, actors); diff != "" {
		t.Errorf("token list actors mismatch (-want +got):\n%s", diff)
	}
	stdout, stderr, err = haloy("", "server", "delete", server, "--revoke")
	if err != nil {
		t.Errorf("server delete --revoke: %v\n%s", err, stderr)
	}
	scan.Output("haloy server delete --revoke", []byte(stdout+stderr))
	for _, l := range append(notes.Infos, notes.Warnings...) {
		scan.Output("server log", []byte(l+"\n"))
	}
	if scan.Check() != 0 {
		t.Error("a token leaked (see above)")
	}
}

// The TokenAPI contract against the real client and a real server (its
// twin runs the same suite in adapters/memory).
func TestTokenAPIContractRealServer(t *testing.T) {
	porttest.TokenAPI(t, func(t *testing.T) porttest.TokenAPIHarness {
		hs, admin, notes := tokenServer(t, t.TempDir(), nil)
		m, err := admin.Mint(context.Background(), core.MintRequest{Name: "ops", ExpiresAt: time.Now().Add(time.Hour), By: "test"})
		if err != nil {
			t.Fatal(err)
		}
		c := httpclient.New(notes)
		t.Cleanup(c.CloseIdleConnections)
		return porttest.TokenAPIHarness{Tokens: c, API: c, Server: strings.TrimPrefix(hs.URL, "http://"), AdminToken: m.Token}
	})
}
