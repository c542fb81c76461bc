package httpserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
)

// abused is a real server (Serve, with its timeouts) on 127.0.0.1 over a
// real SQLite store, with a frozen clock so that no failure budget refills
// during a test.
type abused struct {
	t     *testing.T
	srv   *Server
	store *sqlite.Store
	addr  string // host:port
	notes *memory.Notes
	scan  *leakscan.Scan
	stop  func() error
}

func newAbused(t *testing.T) *abused {
	t.Helper()
	dir := t.TempDir()
	store := sqlite.New(memory.Env{core.ServerDataDirEnv: dir})
	t.Cleanup(func() { store.Close() })
	a := &abused{t: t, store: store, notes: &memory.Notes{}, scan: leakscan.New(t)}
	a.srv = New(store, store, a.notes)
	// last uses are written in the background: done before the store closes
	t.Cleanup(func() { a.srv.touch.wait(context.Background()) })
	frozen := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	a.srv.now = func() time.Time { return frozen }
	url, stop := serve(t, a.srv, core.ServeOptions{Listen: "127.0.0.1:0"})
	a.addr = strings.TrimPrefix(url, "http://")
	stopped := false
	a.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		err := stop()
		// the server is down: its log is complete, scan it with the database
		for _, l := range append(append([]string{}, a.notes.Infos...), a.notes.Warnings...) {
			a.scan.Output("server log", []byte(l+"\n"))
			if strings.Contains(l, "panic") {
				t.Errorf("server log: %s", l)
			}
		}
		a.scan.Dir(dir)
		return err
	}
	t.Cleanup(func() {
		if err := a.stop(); err != nil {
			t.Errorf("Serve() after stop = %v", err)
		}
	})
	return a
}

// token creates a valid token and registers it with the leak scan.
func (a *abused) token(name string) string {
	a.t.Helper()
	tok := randomToken()
	if _, err := a.store.Create(context.Background(), core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: time.Now()}); err != nil {
		a.t.Fatal(err)
	}
	a.scan.Secret(name, tok)
	return tok
}

func randomToken() string {
	var b [core.APITokenBytes]byte
	rand.Read(b[:])
	return core.FormatAPIToken(b)
}

// client returns an HTTP client whose connections come from the loopback
// address from (127.0.0.1, 127.0.0.2, ...): a different client IP.
func client(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}}
}

func get(c *http.Client, url, tok string) (int, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	r, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	io.Copy(io.Discard, r.Body)
	return r.StatusCode, nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestWrongTokenFlood sends 10,000 requests with wrong tokens from 64
// goroutines on 127.0.0.1 while a client with a good token calls from
// 127.0.0.2: the failure budget holds (no more wrong tokens reach the store
// than the burst allows), the good client is never refused, memory stays
// bounded, and no token reaches the log or the database.
func TestWrongTokenFlood(t *testing.T) {
	a := newAbused(t)
	good := a.token("good")
	wrong := make([]string, 16)
	for i := range wrong {
		wrong[i] = randomToken()
		a.scan.Secret(fmt.Sprintf("wrong token %d", i), wrong[i])
	}
	url := "http://" + a.addr + "/v1/version"
	before := heapInUse()

	const total, workers = 10000, 64
	var next atomic.Int64
	var codes sync.Map // status -> *atomic.Int64
	count := func(code int) {
		v, _ := codes.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	flood := client("127.0.0.1")
	defer flood.CloseIdleConnections()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= total; i = next.Add(1) {
				code, err := get(flood, url, wrong[i%int64(len(wrong))])
				if err != nil {
					t.Errorf("wrong-token request %d: %v", i, err)
					return
				}
				count(code)
			}
		}()
	}
	// the good client, from another address, during the whole flood
	honest := client("127.0.0.2")
	defer honest.CloseIdleConnections()
	done := make(chan struct{})
	goodCalls := 0
	go func() {
		defer close(done)
		for next.Load() < total {
			code, err := get(honest, url, good)
			if err != nil || code != 200 {
				t.Errorf("good request %d from 127.0.0.2 during the flood = %d, %v; want 200", goodCalls, code, err)
				return
			}
			goodCalls++
		}
	}()
	wg.Wait()
	<-done

	got := map[int]int64{}
	codes.Range(func(k, v any) bool { got[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d wrong-token requests: %v; %d good requests from 127.0.0.2 all 200", total, got, goodCalls)
	if got[401]+got[429] != total {
		t.Errorf("answers = %v, want only 401 and 429, %d in all", got, total)
	}
	if got[401] > FailureBurst {
		t.Errorf("%d wrong tokens were checked, want at most the burst of %d: the limiter let guesses through", got[401], FailureBurst)
	}
	if goodCalls == 0 {
		t.Errorf("the good client made no call during the flood")
	}
	if n := len(a.srv.fails.ips); n != 1 {
		t.Errorf("failure table holds %d addresses, want 1 (127.0.0.1)", n)
	}
	grew := int64(heapInUse()) - int64(before)
	if grew > 32<<20 {
		t.Errorf("heap grew by %d MiB over the flood, want under 32", grew>>20)
	}
	t.Logf("heap in use grew by %d KiB over the flood", grew>>10)
	if code, err := get(client("127.0.0.3"), url, good); code != 200 || err != nil {
		t.Errorf("good request from a third address after the flood = %d, %v; want 200", code, err)
	}
}

// TestFailureTableBounded: failures from more addresses than maxTracked,
// none of which refills (the clock is frozen), never grow the table past
// maxTracked, and cost little each. (It found that, at commit 10e4834, the
// table grew without bound and each new address swept the whole table.)
func TestFailureTableBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	f := newFailures(FailureRefill, FailureBurst)
	start := time.Now()
	for i := range 3 * maxTracked {
		f.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0)
	}
	if n := len(f.ips); n > maxTracked {
		t.Errorf("failure table holds %d addresses after %d distinct failures, want at most %d", n, 3*maxTracked, maxTracked)
	}
	// a sweep per new address once the table is full would be quadratic:
	// minutes under the lock that every request takes. 3 s under -race on
	// a quiet machine, 6 s on a loaded one: the bound only catches minutes.
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("%d failures from distinct addresses took %v, want well under 30s", 3*maxTracked, took)
	}
}

// raw sends req on a fresh connection and returns the status line (or ""
// if the server closed the connection without answering).
func raw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return ""
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n")
}

// TestMalformedRequests: oversized and malformed bodies, headers and
// request lines get a 4xx (or a closed connection), never a panic, a 5xx
// or a 2xx without a token.
func TestMalformedRequests(t *testing.T) {
	a := newAbused(t)
	tok := a.token("ci")
	auth := "Authorization: Bearer " + tok + "\r\n"
	big := strings.Repeat("x", 2*MaxBodyBytes)
	tests := []struct {
		name string
		req  string
		want string // the status line's prefix
	}{
		{"body_over_cap", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big, "HTTP/1.1 413"},
		{"chunked_over_cap", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big), "HTTP/1.1 413"},
		{"body_without_token", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 401"},
		{"bad_chunk", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400"},
		{"length_and_chunked", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400"},
		{"negative_length", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Length: -1\r\n\r\n", "HTTP/1.1 400"},
		{"nul_in_json", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"app\"\x00:1", "HTTP/1.1 400"},
		{"deep_json", "POST /v1/deploy HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n" + strings.Repeat("[", 200000), "HTTP/1.1 400"},
		{"huge_header", "GET /v1/version HTTP/1.1\r\nHost: h\r\nX-Pad: " + strings.Repeat("a", 2*maxHeaderBytes) + "\r\n\r\n", "HTTP/1.1 431"},
		{"huge_authorization", "GET /v1/version HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + strings.Repeat("a", maxHeaderBytes/2) + "\r\n\r\n", "HTTP/1.1 401"},
		{"two_authorizations", "GET /v1/version HTTP/1.1\r\nHost: h\r\n" + auth + "Authorization: Bearer " + randomToken() + "\r\n\r\n", "HTTP/1.1 401"},
		{"token_in_query", "GET /v1/version?access_token=" + tok + " HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 401"},
		{"no_host", "GET /v1/version HTTP/1.1\r\n" + auth + "\r\n", "HTTP/1.1 400"},
		{"garbage_line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "HTTP/1.1 400"},
		{"bad_method", "G\x00T /v1/version HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 400"},
		{"http2_preface_on_plain", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := raw(t, a.addr, tt.req); !strings.HasPrefix(got, tt.want) {
				t.Errorf("status line = %q, want %s...", got, tt.want)
			}
		})
	}
	if code, err := get(client("127.0.0.2"), "http://"+a.addr+"/v1/version", tok); code != 200 || err != nil {
		t.Errorf("good request after the malformed ones = %d, %v; want 200", code, err)
	}
}

// TestPathTricks: without a token, no spelling of a path reaches a /v1/
// route or anything but /health, and no redirect leaves the server.
func TestPathTricks(t *testing.T) {
	a := newAbused(t)
	a.token("ci") // exists, and must not be reachable nor leak
	paths := []string{
		"/v1/version", "//v1/version", "/v1//version", "/./v1/version", "/x/../v1/version", "/health/../v1/version",
		"/v1/%2e%2e/health", "/%2e%2e/v1/version", "/v1/version%00", "/V1/version", "/v1/status/..%2f..%2fetc%2fpasswd",
		"/v1/status/web/../../version", "/v1/status/%2e%2e", "//evil.example/v1/version", "/v1/version/", "/v1/version;x",
		"/%76%31/version", "/v1/version#frag", "*", "http://evil.example/v1/version", "/" + strings.Repeat("a/", 4000),
	}
	for _, p := range paths {
		for _, method := range []string{"GET", "POST", "OPTIONS", "TRACE"} {
			line := raw(t, a.addr, method+" "+p+" HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
			fields := strings.Fields(line)
			if len(fields) < 2 {
				t.Errorf("%s %s: no answer", method, p)
				continue
			}
			code := fields[1]
			if code[0] == '2' || code[0] == '5' {
				t.Errorf("%s %s without a token = %s, want 3xx or 4xx", method, p, line)
			}
		}
	}
	// redirects (the mux cleans paths) stay on this server
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"//evil.example/x", "/v1/../health", "/./health", "///evil.example"} {
		r, err := c.Get("http://" + a.addr + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if loc := r.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, "://") {
			t.Errorf("GET %s redirects to %q, off the server", p, loc)
		}
	}
	c.CloseIdleConnections()
}

// TestSlowHeaders opens connections that trickle a request's headers one
// byte at a time (slowloris), and others that send nothing: the server
// drops each once its read-header timeout passes, and a good client is
// served all along.
func TestSlowHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the read-header timeout")
	}
	t.Parallel()
	a := newAbused(t)
	good := a.token("good")
	const conns, silent = 50, 20
	start := time.Now()
	var wg sync.WaitGroup
	dropped := make(chan time.Duration, conns+silent)
	// connections that send nothing at all are dropped at the same timeout
	for range silent {
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(3 * readHeaderTimeout))
			io.Copy(io.Discard, c) // returns when the server closes
			dropped <- time.Since(start)
		}()
	}
	for range conns {
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			req := "GET /v1/version HTTP/1.1\r\nHost: h\r\nX-Slow: " + strings.Repeat("a", 1000)
			for i := 0; i < len(req); i++ {
				c.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := c.Write([]byte{req[i]}); err != nil {
					break
				}
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
					break // the server closed the connection
				}
			}
			dropped <- time.Since(start)
		}()
	}
	honest := client("127.0.0.2")
	defer honest.CloseIdleConnections()
	for i := 0; i < 10; i++ {
		if code, err := get(honest, "http://"+a.addr+"/v1/version", good); code != 200 || err != nil {
			t.Errorf("good request %d during the slow connections = %d, %v; want 200", i, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	close(dropped)
	var last time.Duration
	for d := range dropped {
		last = max(last, d)
	}
	if last < readHeaderTimeout-time.Second || last > readHeaderTimeout+5*time.Second {
		t.Errorf("slow connections dropped after up to %v, want about the read-header timeout of %v", last, readHeaderTimeout)
	}
	t.Logf("%d slow and %d silent connections dropped within %v", conns, silent, last.Round(time.Millisecond))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestTokenInPathNotLogged: a client that puts its token in the URL path
// by mistake (and no header) is refused, and the failure's log line does
// not repeat the token.
func TestTokenInPathNotLogged(t *testing.T) {
	a := newAbused(t)
	tok := a.token("ci")
	for _, p := range []string{"/v1/status/" + tok, "/v1/" + tok + "/version", "/v1/version/Bearer%20" + tok} {
		if line := raw(t, a.addr, "GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 401") {
			t.Errorf("GET %s without a header = %q, want 401", p, line)
		}
	}
	a.stop()
	if n := len(a.notes.Infos); n != 3 {
		t.Errorf("log holds %d lines, want 3 auth failures: %q", n, a.notes.Infos)
	}
}
