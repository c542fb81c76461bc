package main

import (
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// clientFiles is what the config directory holds: client.yaml's servers
// (name -> token variable) and .env's variables.
type clientFiles struct {
	servers map[string]string
	env     map[string]string
}

// readClientFiles parses both files the way a reader must: strictly. A
// missing file is empty.
func readClientFiles(t *testing.T, dir string) clientFiles {
	t.Helper()
	out := clientFiles{servers: map[string]string{}, env: map[string]string{}}
	data, err := os.ReadFile(filepath.Join(dir, "client.yaml"))
	if err == nil {
		var f struct {
			Servers map[string]struct {
				TokenEnv string `yaml:"token_env"`
				CACert   string `yaml:"ca_cert"`
			} `yaml:"servers"`
		}
		if err := yaml.UnmarshalWithOptions(data, &f, yaml.DisallowUnknownField()); err != nil {
			t.Fatalf("client.yaml does not parse: %v\n%s", err, data)
		}
		for name, s := range f.Servers {
			out.servers[name] = s.TokenEnv
		}
	} else if !errors.Is(err, iofs.ErrNotExist) {
		t.Fatal(err)
	}
	data, err = os.ReadFile(filepath.Join(dir, ".env"))
	if err == nil {
		env, err := gotenv.StrictParse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf(".env does not parse: %v", err) // not the content: it holds tokens
		}
		out.env = env
	} else if !errors.Is(err, iofs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// TestKilledServerAddLeavesOldOrNew runs `haloy server add` many times, adding
// servers and replacing tokens with --force, and SIGKILLs each run at a
// random moment of its life (no deferred cleanup runs). After every kill,
// client.yaml and .env both parse, each holds either the state before the
// run or the state after it, and client.yaml never names a variable that
// .env lacks. A final run that is not killed succeeds and removes the
// temporary files the killed ones left.
func TestKilledServerAddLeavesOldOrNew(t *testing.T) {
	bin, _ := builtBinary(t)
	cfg := filepath.Join(t.TempDir(), "cfg")
	scan := leakscan.New(t)
	scan.Dir(cfg, ".env")
	start := func(stdin string, args ...string) *exec.Cmd {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = []string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH")}
		c.Stdin = strings.NewReader(stdin)
		c.Stdout, c.Stderr = scan.Writer("haloy "+strings.Join(args, " ")), scan.Writer("haloy "+strings.Join(args, " ")+" (stderr)")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c
	}

	// one whole run, to know how long a run lasts
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	token := func(i int) string {
		tok := fmt.Sprintf("crash-%03d-%016x%016x", i, rng.Uint64(), rng.Uint64())
		scan.Secret(fmt.Sprintf("token %d", i), tok)
		return tok
	}
	began := time.Now()
	if err := start(token(0)+"\n", "server", "add", "s0.example.com", "--token-stdin").Wait(); err != nil {
		t.Fatalf("haloy server add s0.example.com: %v", err)
	}
	life := time.Since(began)
	t.Logf("an unkilled run lasts %v", life)

	const rounds = 80
	outcomes := map[string]int{}
	prev := readClientFiles(t, cfg)
	for i := 1; i <= rounds; i++ {
		tok := token(i)
		next := clientFiles{servers: maps.Clone(prev.servers), env: maps.Clone(prev.env)}
		server := fmt.Sprintf("s%d.example.com", i)
		args := []string{"server", "add", server, "--token-stdin"}
		if i%3 == 0 { // replace the token of a server added before
			server = fmt.Sprintf("s%d.example.com", rng.IntN(i))
			if _, ok := prev.servers[server]; !ok {
				server = "s0.example.com"
			}
			args = []string{"server", "add", server, "--force", "--token-stdin"}
			next.env[prev.servers[server]] = tok
		} else {
			next.servers[server] = core.TokenEnv(server)
			next.env[core.TokenEnv(server)] = tok
		}
		c := start(tok+"\n", args...)
		time.Sleep(time.Duration(rng.Int64N(int64(life) * 5 / 4)))
		_ = c.Process.Signal(syscall.SIGKILL)
		_ = c.Wait()

		got := readClientFiles(t, cfg)
		yamlOld, yamlNew := maps.Equal(got.servers, prev.servers), maps.Equal(got.servers, next.servers)
		envOld, envNew := maps.Equal(got.env, prev.env), maps.Equal(got.env, next.env)
		if !yamlOld && !yamlNew {
			t.Fatalf("round %d (%s): client.yaml holds %v, neither the old %v nor the new %v", i, args, got.servers, prev.servers, next.servers)
		}
		if !envOld && !envNew {
			t.Fatalf("round %d (%s): .env holds %d variables, neither the old state nor the new", i, args, len(got.env))
		}
		for name, v := range got.servers {
			if _, ok := got.env[v]; !ok {
				t.Fatalf("round %d (%s): client.yaml names %s for %s, which .env lacks", i, args, v, name)
			}
		}
		switch {
		case yamlOld && envOld:
			outcomes["old"]++
		case yamlNew && envNew:
			outcomes["new"]++
		default:
			outcomes[".env new, client.yaml old"]++
		}
		prev = got
	}
	t.Logf("%d kills: %v", rounds, outcomes)

	if err := start(token(rounds+1)+"\n", "server", "add", "last.example.com", "--token-stdin").Wait(); err != nil {
		t.Fatalf("haloy server add after the kills: %v", err)
	}
	if temps, _ := filepath.Glob(filepath.Join(cfg, ".*.tmp-*")); len(temps) != 0 {
		t.Errorf("temporary files left after an unkilled run: %v", temps)
	}
	got := readClientFiles(t, cfg)
	if v := got.servers["last.example.com"]; got.env[v] == "" {
		t.Errorf("after the kills, last.example.com's token is not in .env")
	}
}
