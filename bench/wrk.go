package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/bench/internal/loadgen"
)

// wrkScript sets the Authorization header from the environment, so that a
// token is never in wrk's argv or in a file.
const wrkScript = `local a = os.getenv("HALOY_BENCH_AUTH")
if a ~= nil and a ~= "" then wrk.headers["Authorization"] = a end
`

// loader runs one load round: wrk when it is installed (`task deps`
// installs Debian's, pinned), else the bench's own generator.
type loader struct {
	wrk    string // path of wrk; "" for the bench's own generator
	script string // wrkScript, written under the bench's directory
	env    []string
}

// newLoader finds wrk on PATH.
func (b *bench) newLoader() (*loader, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return &loader{}, nil
	}
	script := filepath.Join(b.dir, "wrk-auth.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, fmt.Errorf("write wrk script: %w", err)
	}
	return &loader{wrk: path, script: script, env: b.childEnv()}, nil
}

// name says which generator measured.
func (l *loader) name() string {
	if l.wrk == "" {
		return "the bench's own load generator (wrk is not installed)"
	}
	return "wrk, 1 thread"
}

// run sends load as o says and returns the answers counted and their rate.
func (l *loader) run(ctx context.Context, o loadgen.Options) (loadgen.Result, error) {
	if l.wrk == "" {
		return loadgen.Run(ctx, o)
	}
	// wrk counts whole seconds
	secs := max(1, int(math.Round(o.Duration.Seconds())))
	cmd := exec.CommandContext(ctx, l.wrk, "-t1", "-c"+strconv.Itoa(o.Conns), "-d"+strconv.Itoa(secs)+"s", "-s", l.script, o.URL)
	cmd.Env = l.env
	if a := o.Header.Get("Authorization"); a != "" {
		cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], "HALOY_BENCH_AUTH="+a)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return loadgen.Result{}, fmt.Errorf("wrk %s: %w\n%s", o.URL, err, errb.String())
	}
	return parseWrk(out.String(), o.Refused)
}

var (
	wrkTotal  = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m)\b`)
	wrkNon2xx = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkErrors = regexp.MustCompile(`(?m)^\s*Socket errors: .*`)
)

// parseWrk reads wrk's summary. Every answer must be a 2xx, or, for a
// refused token, none may be.
func parseWrk(out string, refused bool) (loadgen.Result, error) {
	m := wrkTotal.FindStringSubmatch(out)
	if m == nil {
		return loadgen.Result{}, fmt.Errorf("wrk printed no request count:\n%s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	d, err := time.ParseDuration(m[2] + m[3])
	if err != nil {
		return loadgen.Result{}, fmt.Errorf("wrk's duration %q: %w", m[2]+m[3], err)
	}
	var bad int64
	if b := wrkNon2xx.FindStringSubmatch(out); b != nil {
		bad, _ = strconv.ParseInt(b[1], 10, 64)
	}
	switch {
	case n == 0:
		return loadgen.Result{}, fmt.Errorf("wrk got no answer:\n%s", out)
	case refused && bad != n:
		return loadgen.Result{}, fmt.Errorf("wrk: %d of %d answers to a refused token were not errors", n-bad, n)
	case !refused && bad != 0:
		return loadgen.Result{}, fmt.Errorf("wrk: %d of %d answers were not 2xx", bad, n)
	case wrkErrors.MatchString(out):
		return loadgen.Result{}, fmt.Errorf("wrk: %s", wrkErrors.FindString(out))
	}
	return loadgen.Result{Requests: n, Elapsed: d}, nil
}
