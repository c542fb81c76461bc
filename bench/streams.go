//go:build linux

package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Stream targets (issue 17).
const (
	streamMemTarget = 20 << 10 // bytes of server memory per idle stream
	// after every stream closed, the server's goroutines are back to their
	// baseline, within a few (the HTTP server's own come and go)
	streamGoroutineSlack = 5
	// and a second round of as many streams leaves the heap where the
	// first left it: what the first added and the second reused is the
	// runtime's high-water mark (goroutine descriptors are never freed),
	// not growth. Heap in use moves by up to 200 KiB from one collection
	// to the next with nothing leaking; a leak of one goroutine or one
	// subscription a stream is 2 MiB or more at 5,000.
	streamHeapSlack = 512 << 10
)

// procStatus is what the bench reads of a server in /proc/<pid>/status.
type procStatus struct {
	rss     int64 // bytes
	threads int
}

func (s *server) status() (procStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return procStatus{}, fmt.Errorf("read server status: %w", err)
	}
	return parseProcStatus(string(b))
}

// parseProcStatus reads VmRSS (in kB) and Threads from /proc/<pid>/status.
func parseProcStatus(text string) (procStatus, error) {
	var p procStatus
	var haveRSS, haveThreads bool
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			if err != nil || len(f) != 2 || f[1] != "kB" {
				return p, fmt.Errorf("parse /proc status: VmRSS %q", strings.TrimSpace(v))
			}
			p.rss, haveRSS = n*1024, true
		case "Threads":
			if err != nil {
				return p, fmt.Errorf("parse /proc status: Threads %q", strings.TrimSpace(v))
			}
			p.threads, haveThreads = int(n), true
		}
	}
	if !haveRSS || !haveThreads {
		return p, errors.New("parse /proc status: no VmRSS or Threads line")
	}
	return p, nil
}

// harnessStats are the stream harness's own counts (bench/streamsrv).
type harnessStats struct {
	goroutines int
	heap       int64 // heap in use
	stacks     int64 // goroutine stacks in use
}

// harnessStats asks the harness for its goroutines and heap in use, after
// a garbage collection.
func (s *server) harnessStats(ctx context.Context) (harnessStats, error) {
	if err := s.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		return harnessStats{}, fmt.Errorf("signal the stream harness: %w", err)
	}
	select {
	case line := <-s.stats:
		var h harnessStats
		if _, err := fmt.Sscanf(line, "goroutines=%d heap=%d stacks=%d", &h.goroutines, &h.heap, &h.stacks); err != nil {
			return h, fmt.Errorf("stream harness printed %q: %w", line, err)
		}
		return h, nil
	case <-time.After(10 * time.Second):
		return harnessStats{}, errors.New("the stream harness printed no stats within 10s")
	case <-ctx.Done():
		return harnessStats{}, ctx.Err()
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// bench holds one socket per stream, and the server, its child, inherits
// the limit (Go hands children the raised limit once the program set it).
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("raise the open-file limit to %d: %w", l.Max, err)
	}
	return l.Cur, nil
}

// deploymentID returns a new lower-case ULID-shaped id.
func deploymentID() string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	var r [25]byte
	_, _ = rand.Read(r[:])
	id := []byte{'0'}
	for _, c := range r {
		id = append(id, alphabet[c%32])
	}
	return string(id)
}

// follower is one client holding a deploy-log stream open.
type follower struct {
	conn    net.Conn   // set before ready is sent
	ready   chan error // gets one value: nil once the replay was read, or why not
	arrived time.Time  // when the first live entry came
	err     error      // how the stream ended badly; read after it ended
}

// follow opens GET /v1/deploy/{id}/logs on a raw connection, reads the
// answer's head and the replayed "received" entry, then reports ready and
// reads live entries until the deployment's last one.
func follow(ctx context.Context, base *url.URL, id, tok string, f *follower, done *sync.WaitGroup) {
	defer done.Done()
	sent := false
	ready := func(err error) {
		if !sent {
			sent = true
			f.ready <- err
		}
		f.err = err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", base.Host)
	if err != nil {
		ready(fmt.Errorf("dial %s: %w", base.Host, err))
		return
	}
	f.conn = conn
	defer conn.Close()
	path := "/v1/deploy/" + id + "/logs"
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", path, base.Host, tok); err != nil {
		ready(fmt.Errorf("send GET %s: %w", path, err))
		return
	}
	br := bufio.NewReaderSize(conn, 1024)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		ready(fmt.Errorf("GET %s: %w", path, err))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ready(fmt.Errorf("GET %s: %s", path, resp.Status))
		return
	}
	sc := bufio.NewScanner(resp.Body)
	replayed := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		if !replayed {
			replayed = true
			ready(nil)
			continue
		}
		if f.arrived.IsZero() {
			f.arrived = time.Now()
		}
		if strings.Contains(line, `"isDeploymentComplete":true`) {
			return
		}
	}
	if err := sc.Err(); err != nil {
		ready(fmt.Errorf("read GET %s: %w", path, err))
		return
	}
	ready(fmt.Errorf("GET %s: the stream ended before the deployment's last entry", path))
}

// streams measures haloyadm's deploy-log streams with many followers: the
// server's memory per idle stream, its CPU while they idle, how long a log
// entry takes to reach every follower, and whether goroutines and heap
// come back to their baseline once every stream closed. Each count gets a
// fresh server: adapters/httpserver's TestStreamHarness, haloyadm's API
// server over its SQLite store with one deployment's log held open (the
// deployments of haloyadm serve complete within their request, so its own
// streams never idle).
func (b *bench) streams(ctx context.Context, c config) ([]row, error) {
	limit, err := raiseFileLimit()
	if err != nil {
		return nil, err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	b.streamsrv = filepath.Join(b.dir, "bin", "streamharness")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", b.streamsrv, "./adapters/httpserver")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go test -c ./adapters/httpserver (the stream harness): %w\n%s", err, out)
	}
	counts, idle := []int{1000, 5000}, 5*time.Second
	if c.smoke {
		counts, idle = []int{200}, time.Second
	}
	var rows []row
	for _, n := range counts {
		if uint64(2*n+100) > limit {
			return nil, fmt.Errorf("%d streams need about %d open files; the limit is %d (raise it with ulimit -n)", n, 2*n+100, limit)
		}
		r, err := b.streamRound(ctx, n, idle)
		if err != nil {
			return nil, fmt.Errorf("%d streams: %w", n, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// streamRound measures n streams on a fresh harness: n followers of one
// deployment while it idles, then, once they all closed, n followers of a
// second deployment, to tell growth from the runtime's high-water mark.
func (b *bench) streamRound(ctx context.Context, n int, idle time.Duration) ([]row, error) {
	name := fmt.Sprintf("streams-%d", n)
	cfg, err := b.mkdir(name, "config")
	if err != nil {
		return nil, err
	}
	data, err := b.mkdir(name, "data")
	if err != nil {
		return nil, err
	}
	env := b.childEnv("HALOY_CONFIG_DIR="+cfg, "HALOY_DATA_DIR="+data)
	u, err := b.measure(ctx, env, cfg, "", b.haloyadm, "init")
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(u.stdout)
	b.remember(tok)
	ids := []string{deploymentID(), deploymentID()}
	henv := append(env, "HALOY_BENCH_STREAM_DEPLOYMENT="+strings.Join(ids, ","))
	if dir := os.Getenv("HALOY_BENCH_STREAM_PROFILE"); dir != "" {
		// heap profiles of the harness: before, open, closed (and again for round 2)
		pdir := filepath.Join(dir, name)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return nil, fmt.Errorf("profile directory: %w", err)
		}
		henv = append(henv, "HALOY_BENCH_STREAM_PROFILE="+pdir)
	}
	s, err := b.startServer(ctx, henv, b.streamsrv, "-test.run", "^TestStreamHarness$", "-test.timeout", "30m")
	if err != nil {
		return nil, err
	}
	defer s.stop()
	base, err := url.Parse(s.url)
	if err != nil {
		return nil, fmt.Errorf("server url %q: %w", s.url, err)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	defer client.CloseIdleConnections()
	get := func(path string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}
	// warm up the server's paths (auth, the token cache) before the baseline
	for range 20 {
		if err := get("/v1/version"); err != nil {
			return nil, err
		}
	}
	client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	base0, err := s.status()
	if err != nil {
		return nil, err
	}
	h0, err := s.harnessStats(ctx)
	if err != nil {
		return nil, err
	}
	r1, err := b.followRound(ctx, s, base, ids[0], tok, n, idle)
	if err != nil {
		return nil, err
	}
	r2, err := b.followRound(ctx, s, base, ids[1], tok, n, 0)
	if err != nil {
		return nil, fmt.Errorf("round 2: %w", err)
	}

	perRSS := float64(r1.open.rss-base0.rss) / float64(n)
	perHeap := float64(r1.hOpen.heap-h0.heap) / float64(n)
	perStack := float64(r1.hOpen.stacks-h0.stacks) / float64(n)
	kib := func(x float64) string { return fmt.Sprintf("%.1f KiB", x/1024) }
	back := r1.hAfter.goroutines <= h0.goroutines+streamGoroutineSlack && r2.hAfter.goroutines <= h0.goroutines+streamGoroutineSlack
	grew := r2.hAfter.heap - r1.hAfter.heap
	return []row{
		{figure: fmt.Sprintf("%d idle log streams: server RSS per stream (/proc)", n), ours: kib(perRSS),
			baseline: mib(base0.rss) + " before", target: "< 20 KiB", status: verdict(perRSS < streamMemTarget)},
		{figure: fmt.Sprintf("%d idle log streams: server heap, stacks in use per stream", n), ours: kib(perHeap) + ", " + kib(perStack),
			baseline: mib(h0.heap) + ", " + mib(h0.stacks) + " before", target: "-", status: statusInfo},
		{figure: fmt.Sprintf("%d idle log streams: server goroutines, threads", n),
			ours:     fmt.Sprintf("%d goroutines, %d threads", r1.hOpen.goroutines, r1.open.threads),
			baseline: fmt.Sprintf("%d, %d before", h0.goroutines, base0.threads), target: "-", status: statusInfo},
		{figure: fmt.Sprintf("%d idle log streams: server CPU while idle (%v)", n, idle), ours: fmt.Sprintf("%.1f%% of a core", r1.idleCPU*100),
			target: "-", status: statusInfo},
		{figure: fmt.Sprintf("%d log streams: one entry delivered to every follower (last, median)", n),
			ours: ms(slices.Max(r1.lat)) + ", " + ms(median(r1.lat)), target: "-", status: statusInfo},
		{figure: fmt.Sprintf("%d log streams: server CPU to deliver the last 2 entries to every follower (2 rounds)", n),
			ours: ms(int64(r1.deliverCPU)) + ", " + ms(int64(r2.deliverCPU)), target: "-", status: statusInfo},
		{figure: fmt.Sprintf("%d log streams, all closed: server goroutines, heap in use", n),
			ours:     fmt.Sprintf("%d goroutines, %s", r1.hAfter.goroutines, mib(r1.hAfter.heap)),
			baseline: fmt.Sprintf("%d, %s before", h0.goroutines, mib(h0.heap)),
			target:   fmt.Sprintf("goroutines <= +%d", streamGoroutineSlack), status: verdict(back)},
		{figure: fmt.Sprintf("%d more log streams, all closed: server heap in use (growth)", n),
			ours:     fmt.Sprintf("%s (%+.0f KiB)", mib(r2.hAfter.heap), float64(grew)/1024),
			baseline: mib(r1.hAfter.heap) + " after the first", target: fmt.Sprintf("<= +%d KiB", streamHeapSlack>>10),
			status: verdict(grew <= streamHeapSlack)},
		{figure: fmt.Sprintf("%d log streams, all closed: server RSS, threads", n),
			ours: fmt.Sprintf("%s, %d threads", mib(r1.after.rss), r1.after.threads), baseline: fmt.Sprintf("%s, %d before", mib(base0.rss), base0.threads),
			target: "-", status: statusInfo},
	}, nil
}

// roundFigures are what one round of followers measured.
type roundFigures struct {
	open, after   procStatus
	hOpen, hAfter harnessStats
	idleCPU       float64       // share of a core while the streams idled
	deliverCPU    time.Duration // server CPU from the release to every follower's end
	lat           []int64       // per follower: from the release to its first live entry
}

// followRound opens n streams of deployment id, 64 at a time, lets them
// idle for idle (measuring the server's CPU), has the harness end the
// deployment, waits for every follower to get its end, and measures the
// server once they all closed.
func (b *bench) followRound(ctx context.Context, s *server, base *url.URL, id, tok string, n int, idle time.Duration) (roundFigures, error) {
	var r roundFigures
	fs := make([]*follower, n)
	var done sync.WaitGroup
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var openErr error
	start := time.Now()
	for i := range fs {
		fs[i] = &follower{ready: make(chan error, 1)}
		done.Add(1)
		sem <- struct{}{}
		go follow(ctx, base, id, tok, fs[i], &done)
		go func(f *follower) {
			if err := <-f.ready; err != nil {
				mu.Lock()
				openErr = cmp.Or(openErr, err)
				mu.Unlock()
			}
			<-sem
		}(fs[i])
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	closeAll := func() {
		for _, f := range fs {
			if f.conn != nil {
				f.conn.Close()
			}
		}
		done.Wait()
	}
	if openErr != nil {
		closeAll()
		return r, openErr
	}
	b.logf("%d streams open in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	var err error
	if r.open, err = s.status(); err != nil {
		closeAll()
		return r, err
	}
	if r.hOpen, err = s.harnessStats(ctx); err != nil {
		closeAll()
		return r, err
	}
	if idle > 0 {
		// idle: token rechecks (one a token every 250 ms) and keepalives (every 30 s) only
		c0, err := s.cpu()
		if err != nil {
			closeAll()
			return r, err
		}
		time.Sleep(idle)
		c1, err := s.cpu()
		if err != nil {
			closeAll()
			return r, err
		}
		r.idleCPU = float64(c1-c0) / float64(idle)
	}

	// the deployment goes on: "recorded" and "complete" go to every follower
	d0, err := s.cpu()
	if err != nil {
		closeAll()
		return r, err
	}
	released := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		closeAll()
		return r, fmt.Errorf("release the deployment: %w", err)
	}
	ended := make(chan struct{})
	go func() { done.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(2 * time.Minute):
		closeAll()
		return r, errors.New("the followers did not all get the deployment's end within 2 minutes")
	}
	d1, err := s.cpu()
	if err != nil {
		return r, err
	}
	r.deliverCPU = d1 - d0
	for _, f := range fs {
		if f.err != nil {
			return r, f.err
		}
		if f.arrived.IsZero() {
			return r, errors.New("a follower got the deployment's end without its live entries")
		}
		r.lat = append(r.lat, int64(f.arrived.Sub(released)))
	}
	time.Sleep(time.Second)
	if r.after, err = s.status(); err != nil {
		return r, err
	}
	r.hAfter, err = s.harnessStats(ctx)
	return r, err
}
