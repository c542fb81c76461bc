package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// killer sits in front of a real API server (httpserver over SQLite, with
// app.TokenAdmin) and SIGKILLs the client process when a chosen request
// arrives (before the server handles it) or has been answered (after).
type killer struct {
	next http.Handler
	mu   sync.Mutex
	// route and after choose the moment; proc is the client to kill
	route string
	after bool
	delay time.Duration
	proc  *os.Process
	hit   bool
}

func (k *killer) arm(route string, after bool, delay time.Duration, p *os.Process) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.route, k.after, k.delay, k.proc, k.hit = route, after, delay, p, false
}

func (k *killer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	match := k.proc != nil && !k.hit && r.Method+" "+r.URL.Path == k.route
	if match {
		k.hit = true
	}
	p, after, delay := k.proc, k.after, k.delay
	k.mu.Unlock()
	if match && !after {
		_ = p.Signal(syscall.SIGKILL)
		http.Error(w, "killed", http.StatusServiceUnavailable)
		return
	}
	k.next.ServeHTTP(w, r)
	if match {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		// the client is somewhere past the answer: reading it, writing .env, or on to the next step
		go func() { time.Sleep(delay); _ = p.Signal(syscall.SIGKILL) }()
	}
}

// TestKilledRotationLeavesAWorkingToken runs `haloy server rotate` against
// a real server and SIGKILLs it at each step: when each of its requests
// (rotate, version check, self-revocation) arrives, and at several moments
// after each is answered, plus at random moments. After every kill the
// token in .env is one the server accepts: the old one (in its grace
// period) until the successor is written, the successor after.
func TestKilledRotationLeavesAWorkingToken(t *testing.T) {
	bin, _ := builtBinary(t)
	ctx := context.Background()
	dir := t.TempDir()
	cfg := dir + "/cfg"
	k := &killer{}
	hs, admin, notes := tokenServer(t, dir+"/data", func(h http.Handler) http.Handler { k.next = h; return k })
	server := "localhost:" + hs.URL[strings.LastIndex(hs.URL, ":")+1:]
	scan := leakscan.New(t)
	scan.Dir(cfg, ".env")

	accepted := func(tok string) bool {
		req, _ := http.NewRequest("GET", hs.URL+"/v1/version", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	stored := func() string {
		t.Helper()
		f := readClientFiles(t, cfg)
		return f.env[f.servers[server]]
	}
	n := 0
	haloy := func(stdin string, args ...string) *exec.Cmd {
		t.Helper()
		n++
		c := exec.Command(bin, args...)
		c.Env = []string{"HALOY_CONFIG_DIR=" + cfg, "PATH=" + os.Getenv("PATH")}
		c.Stdin = strings.NewReader(stdin)
		name := fmt.Sprintf("run %d: haloy %s", n, strings.Join(args, " "))
		c.Stdout, c.Stderr = scan.Writer(name), scan.Writer(name+" (stderr)")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// fresh gives the client a fresh token, as a user would after a
	// rotation whose successor was lost (the old one then only lives out
	// its grace period)
	fresh := func(i int) {
		t.Helper()
		m, err := admin.Mint(ctx, core.MintRequest{Name: fmt.Sprintf("laptop-%d", i), ExpiresAt: time.Now().Add(24 * time.Hour), By: "test"})
		if err != nil {
			t.Fatal(err)
		}
		scan.Secret(fmt.Sprintf("token %d", i), m.Token.Reveal())
		if err := haloy(m.Token.Reveal()+"\n", "server", "add", server, "--force", "--token-stdin").Wait(); err != nil {
			t.Fatalf("server add: %v", err)
		}
	}
	fresh(0)

	rng := rand.New(rand.NewPCG(rand.Uint64(), 2))
	type moment struct {
		route string
		after bool
		delay time.Duration
	}
	var moments []moment
	for _, route := range []string{"POST /v1/token/rotate", "GET /v1/version", "POST /v1/token/revoke"} {
		moments = append(moments, moment{route, false, 0})
		for _, d := range []time.Duration{0, 200 * time.Microsecond, time.Millisecond, 3 * time.Millisecond} {
			moments = append(moments, moment{route, true, d})
		}
	}
	outcomes := map[string]int{}
	for i, m := range moments {
		before := stored()
		c := haloy("", "server", "rotate", server)
		k.arm(m.route, m.after, m.delay, c.Process)
		err := c.Wait()
		k.arm("", false, 0, nil)
		now := stored()
		scan.Secret(fmt.Sprintf("rotated token %d", i), now)
		if !accepted(now) {
			t.Fatalf("killed at %s (after=%v, +%v): the token in .env is refused by the server", m.route, m.after, m.delay)
		}
		switch {
		case err == nil:
			outcomes["finished"]++
		case now == before:
			outcomes["old token kept"]++
		default:
			outcomes["successor saved"]++
		}
		if now == before && err != nil {
			// the server may have rotated it: start the next step from a token that is not in its grace period
			fresh(i + 1)
		}
	}
	// and at random moments of whole runs
	for i := range 10 {
		before := stored()
		began := time.Now()
		c := haloy("", "server", "rotate", server)
		time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
		_ = c.Process.Signal(syscall.SIGKILL)
		err := c.Wait()
		now := stored()
		scan.Secret(fmt.Sprintf("random token %d", i), now)
		if !accepted(now) {
			t.Fatalf("killed %v into a rotation: the token in .env is refused by the server", time.Since(began))
		}
		if now == before && err != nil {
			fresh(100 + i)
		}
	}
	t.Logf("kills at each step: %v", outcomes)
	// an unkilled rotation from the last state completes and revokes the old token
	before := stored()
	if err := haloy("", "server", "rotate", server).Wait(); err != nil {
		t.Fatalf("rotate after the kills: %v", err)
	}
	if now := stored(); now == before || !accepted(now) || accepted(before) {
		t.Errorf("a full rotation: new token accepted %v, old token refused %v", accepted(now), !accepted(before))
	}
	scan.Secret("last token", stored())
	for _, l := range notes.Infos {
		scan.Output("server log", []byte(l+"\n"))
	}
}
