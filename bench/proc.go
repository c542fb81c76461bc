package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// bench holds what every step shares: the binaries built for this run in
// a temporary directory.
type bench struct {
	dir       string // temporary; removed by close
	haloy     string
	haloyadm  string
	hello     string
	bare      string
	spawn     string // the measuring launcher (bench/spawn)
	streamsrv string // the deploy-log stream harness (adapters/httpserver's TestStreamHarness)
	logf      func(string, ...any)
	servers   []*server

	mu      sync.Mutex
	secrets []string // every token and secret value the bench gave a child
}

// newBench builds haloy (and its haloyadm link), the hello-world and the
// bare HTTP server from the module the bench belongs to.
func newBench(ctx context.Context, logf func(string, ...any)) (*bench, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "haloy-bench-")
	if err != nil {
		return nil, fmt.Errorf("make temporary directory: %w", err)
	}
	b := &bench{dir: dir, logf: logf,
		haloy: filepath.Join(dir, "bin", "haloy"), haloyadm: filepath.Join(dir, "bin", "haloyadm"),
		hello: filepath.Join(dir, "bin", "hello"), bare: filepath.Join(dir, "bin", "bare"), spawn: filepath.Join(dir, "bin", "spawn"),
		streamsrv: filepath.Join(dir, "bin", "streamsrv")}
	logf("building haloy, hello, bare, spawn and streamsrv into %s", filepath.Join(dir, "bin"))
	// one go build for all four (each named after its package's last path
	// element): the links run side by side, and the go command loads the
	// module once (about 1.5 s less than four builds)
	// All of them as `task build` builds haloy (static, without cgo's
	// dynamic loader and C library, stripped): what users run, and the
	// hello-world built the same way stays a fair floor.
	pkgs := []string{".", "./bench/hello", "./bench/bare", "./bench/spawn"}
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "bin") + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.close()
		return nil, fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, out)
	}
	for _, bin := range []string{b.haloy, b.hello, b.bare, b.spawn} {
		if _, err := os.Stat(bin); err != nil {
			b.close()
			return nil, fmt.Errorf("go build did not write %s: %w", bin, err)
		}
	}
	if err := os.Symlink("haloy", b.haloyadm); err != nil {
		b.close()
		return nil, fmt.Errorf("link haloyadm: %w", err)
	}
	return b, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the haloy module: run the bench from the repository (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// close stops every server still running and removes the directory.
func (b *bench) close() {
	for _, s := range b.servers {
		s.stop()
	}
	b.servers = nil
	if err := os.RemoveAll(b.dir); err != nil {
		b.logf("warning: cannot remove %s: %v", b.dir, err)
	}
}

// mkdir makes a directory under the bench's temporary directory.
func (b *bench) mkdir(parts ...string) (string, error) {
	d := filepath.Join(append([]string{b.dir}, parts...)...)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("make %s: %w", d, err)
	}
	return d, nil
}

// childEnv is the whole environment of a child: a fresh HOME and PATH plus
// extra, and nothing of the caller's (no stray HALOY_* variable or token).
func (b *bench) childEnv(extra ...string) []string {
	env := []string{"HOME=" + filepath.Join(b.dir, "home"), "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}
	return append(env, extra...)
}

// usage is what one run of a child process cost.
type usage struct {
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	// floorRSS is the launcher's own resident set when it started the
	// command: a peak at or below it may be the launcher's, not the command's
	floorRSS int64
	wall     time.Duration
	stdout   string
	stderr   string
}

// measure runs one command to completion through the spawn launcher and
// returns its cost; a non-zero exit is an error quoting its stderr.
func (b *bench) measure(ctx context.Context, env []string, dir, stdin string, name string, args ...string) (usage, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return usage{}, fmt.Errorf("pipe for spawn's report: %w", err)
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, b.spawn, append([]string{name}, args...)...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.ExtraFiles = []*os.File{pw} // fd 3
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	pw.Close()
	if err != nil {
		if lerr := b.leaked("the error output of "+filepath.Base(name), errb.String()); lerr != nil {
			return usage{}, lerr
		}
		return usage{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	rep, err := io.ReadAll(pr)
	if err != nil {
		return usage{}, fmt.Errorf("read spawn's report: %w", err)
	}
	u, err := parseSpawnReport(string(rep))
	if err != nil {
		return usage{}, err
	}
	u.wall, u.stdout, u.stderr = wall, out.String(), errb.String()
	what := filepath.Base(name) + " " + strings.Join(args, " ")
	if err := b.leaked("the output of "+what, u.stdout+u.stderr); err != nil {
		return usage{}, err
	}
	return u, nil
}

// parseSpawnReport reads spawn's line: user ns, system ns, peak RSS KiB,
// exit status, spawn's own peak RSS KiB.
func parseSpawnReport(line string) (usage, error) {
	f := strings.Fields(line)
	if len(f) != 5 {
		return usage{}, fmt.Errorf("spawn reported %q, want 5 numbers", line)
	}
	var n [5]int64
	for i, s := range f {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return usage{}, fmt.Errorf("spawn reported %q: %w", line, err)
		}
		n[i] = v
	}
	return usage{cpu: time.Duration(n[0] + n[1]), maxRSS: n[2] * 1024, floorRSS: n[4] * 1024}, nil
}

// median returns the middle value (the mean of the two middle ones for an
// even count); 0 for none.
func median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// newToken returns a random token in the shape haloyadm issues.
func newToken() string {
	var r [32]byte
	_, _ = rand.Read(r[:])
	return "haloy_" + base64.RawURLEncoding.EncodeToString(r[:])
}

// secret returns a new token that measure will look for in every child's
// output: haloy must never print one.
func (b *bench) secret() string {
	tok := newToken()
	b.remember(tok)
	return tok
}

// remember adds a secret to look for.
func (b *bench) remember(tok string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.secrets = append(b.secrets, tok)
}

// leaked returns an error if out holds a secret given to a child.
func (b *bench) leaked(what, out string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.secrets {
		if strings.Contains(out, s) {
			return fmt.Errorf("%s shows a secret the bench gave it", what)
		}
	}
	return nil
}

// server is a `haloyadm serve` (or bare) process running in the background.
type server struct {
	url  string
	env  []string // haloyadm's environment (its directories)
	cmd  *exec.Cmd
	done chan error
	leak atomic.Value // error: a line of its stderr showed a secret
	// stats receives the "stats ..." lines of the stream harness
	stats    chan string
	stopOnce sync.Once
}

// startServer starts a server process and waits for its "serving on <url>"
// line on stderr.
func (b *bench) startServer(ctx context.Context, env []string, name string, args ...string) (*server, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	pr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("pipe stderr of %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1), stats: make(chan string, 4)}
	b.servers = append(b.servers, s)
	urls := make(chan string, 1)
	var early []string
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if err := b.leaked("the log of "+filepath.Base(name), line); err != nil && s.leak.Load() == nil {
				s.leak.Store(err)
			}
			if _, st, ok := strings.Cut(line, "streamharness: stats "); ok {
				select {
				case s.stats <- st:
				default:
				}
			} else if _, u, ok := strings.Cut(line, "serving on "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			} else if len(early) < 20 {
				early = append(early, line)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
		close(urls)
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case u, ok := <-urls:
		if !ok {
			return nil, fmt.Errorf("%s %s exited before serving:\n%s", filepath.Base(name), strings.Join(args, " "), strings.Join(early, "\n"))
		}
		s.url = u
		return s, nil
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("%s did not start serving within 15s", filepath.Base(name))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux the bench runs on.
const clockTick = 10 * time.Millisecond

// cpu returns the CPU time (user + system, all threads) the server has
// used so far, from /proc.
func (s *server) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	return parseProcStat(string(b))
}

// parseProcStat returns utime + stime from a /proc/<pid>/stat line. The
// command name, in parentheses, may hold spaces: fields count from after
// its closing parenthesis (utime and stime are fields 14 and 15).
func parseProcStat(line string) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc stat %q: no command name", line)
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc stat %q: %d fields after the name, want at least 13", line, len(f))
	}
	var sum int64
	for _, v := range f[11:13] { // fields 14 and 15 of the whole line
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc stat %q: %w", line, err)
		}
		sum += n
	}
	return time.Duration(sum) * clockTick, nil
}

// serverLeaks returns the first secret seen in a server's log.
func (b *bench) serverLeaks() error {
	for _, s := range b.servers {
		if err, ok := s.leak.Load().(error); ok {
			return err
		}
	}
	return nil
}

// stop sends SIGTERM and waits up to 15 seconds, then kills. Calls after
// the first do nothing.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		if s.cmd.Process == nil {
			return
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}
