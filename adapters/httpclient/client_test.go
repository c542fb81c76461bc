package httpclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

const token core.Secret = "haloy_clientTESTtoken1111111111111111111111111111111"

// endpoint returns the endpoint of server with the test token.
func endpoint(server string) core.Endpoint {
	return core.Endpoint{Server: server, Token: token, TokenSource: "env TEST_TOKEN"}
}

// errorOf returns err as a *core.Error, failing the test if it is not one
// or if it shows the token anywhere.
func errorOf(t *testing.T, err error) *core.Error {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v (%T), want a *core.Error", err, err)
	}
	if s := fmt.Sprintf("%v|%s|%s|%s|%+v", err, ce.What, ce.Why, ce.Fix, ce.Err); strings.Contains(s, token.Reveal()) {
		t.Errorf("error shows the token: %s", s)
	}
	return ce
}

func TestBearerOnlyOnV1Calls(t *testing.T) {
	f := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	server := startPlain(t, f)
	c, ep, ctx := New(&memory.Notes{}), endpoint(server), context.Background()
	if _, err := c.Health(ctx, ep); err != nil {
		t.Fatalf("Health() error = %v", err)
	}
	if _, err := c.Version(ctx, ep); err != nil {
		t.Fatalf("Version() error = %v", err)
	}
	if err := c.Deploy(ctx, ep, request("web")); err != nil {
		t.Fatalf("Deploy() error = %v", err)
	}
	if _, err := c.Status(ctx, ep, "web"); err != nil {
		t.Fatalf("Status() error = %v", err)
	}
	if err := c.DeployLog(ctx, ep, request("web").DeploymentID, func(e core.LogEntry) bool { return !e.Ends() }); err != nil {
		t.Fatalf("DeployLog() error = %v", err)
	}
	bearer := "Bearer " + token.Reveal()
	want := []seen{{"/health", ""}, {"/v1/version", bearer}, {"/v1/deploy", bearer}, {"/v1/status/web", bearer},
		{"/v1/deploy/" + request("web").DeploymentID + "/logs", bearer}}
	if diff := cmp.Diff(want, f.requests()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

// redirector answers every request with a redirect to target+path.
func redirector(target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	})
}

func TestRedirectToAnotherHostNeverCarriesToken(t *testing.T) {
	other := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	otherServer := startPlain(t, other)
	// the same IP with another port is another host to HTTP: the token must not follow
	server := startPlain(t, redirector("http://"+otherServer))
	c := New(&memory.Notes{})
	_, err := c.Version(context.Background(), endpoint(server))
	ce := errorOf(t, err)
	if ce.Kind != core.Unsafe || !strings.Contains(ce.What, "redirected /v1/version to http://"+otherServer+"/v1/version") {
		t.Errorf("Version() error = %+v, want Kind Unsafe naming the redirect", ce)
	}
	for _, r := range other.requests() {
		if r.Authorization != "" {
			t.Errorf("the other host got Authorization %q on %s", r.Authorization, r.Path)
		}
	}
}

func TestRedirectWithinHostKeepsToken(t *testing.T) {
	f := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	mux := http.NewServeMux()
	mux.Handle("/v1/old-version", http.RedirectHandler("/v1/version", http.StatusTemporaryRedirect))
	mux.Handle("/", f)
	server := startPlain(t, mux)
	c := New(&memory.Notes{})
	var out core.VersionResponse
	if err := c.call(context.Background(), endpoint(server), http.MethodGet, "/v1/old-version", nil, &out, "version check"); err != nil {
		t.Fatalf("call(/v1/old-version) error = %v, want nil", err)
	}
	if out.Haloyd != "1.0" {
		t.Errorf("call(/v1/old-version) = %+v, want the version answer for token ci", out)
	}
}

func TestTLSFailures(t *testing.T) {
	ca, otherCA := newTestCA(t), newTestCA(t)
	h := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	good := startTLS(t, h, "127.0.0.2:0", ca.leaf(t, "127.0.0.2"))
	// a certificate for 127.0.0.2 served on 127.0.0.3: the name does not match
	wrongName := startTLS(t, h, "127.0.0.3:0", ca.leaf(t, "127.0.0.2"))
	// a plain-HTTP server on an address reached over HTTPS
	plain := startPlainOn(t, h, "127.0.0.2:0")
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		server  string
		caCert  string
		kind    core.Kind
		why     string // a part of Why
		fixPart string // a part of Fix
	}{
		{"unknown_authority", good, "", core.Unavailable, "authority this machine does not trust", "--ca-cert <ca.pem> --token-stdin, or set SSL_CERT_FILE"},
		{"wrong_ca_file", good, otherCA.file, core.Unavailable, "does not chain to the CA file " + fmt.Sprintf("%q", otherCA.file), "--ca-cert <the right ca.pem>"},
		{"name_mismatch", wrongName, ca.file, core.Unavailable, `not valid for "127.0.0.3"`, "--tls-cert"},
		{"plain_http_server", plain, ca.file, core.Unavailable, "answered plain HTTP where haloy expects HTTPS", "haloyadm serve --tls-cert"},
		{"missing_ca_file", good, filepath.Join(t.TempDir(), "nope.pem"), core.Missing, "no such file", "--ca-cert <file>"},
		{"ca_file_not_pem", good, notPEM, core.Invalid, "holds no PEM certificate", "--ca-cert <file>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := endpoint(tt.server)
			ep.CACert = tt.caCert
			_, err := New(&memory.Notes{}).Version(context.Background(), ep)
			ce := errorOf(t, err)
			if ce.Kind != tt.kind || !strings.Contains(ce.Why, tt.why) || !strings.Contains(ce.Fix, tt.fixPart) {
				t.Errorf("Version() error = %+v, want Kind %v, Why with %q, Fix with %q", ce, tt.kind, tt.why, tt.fixPart)
			}
		})
	}
	for _, r := range h.requests() {
		if r.Path != "/v1/version" || r.Authorization == "" {
			continue
		}
		// only the plain_http_server case reaches the handler, and then only as a TLS record the server rejects
		t.Errorf("a failed TLS connection delivered a request with a token to %s", r.Path)
	}
}

// startPlainOn serves h over plain HTTP on addr.
func startPlainOn(t *testing.T, h http.Handler, addr string) string {
	t.Helper()
	ln := listen(t, addr)
	s := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	go s.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func TestConnectionRefused(t *testing.T) {
	ln := listen(t, "127.0.0.1:0")
	server := ln.Addr().String()
	ln.Close()
	_, err := New(&memory.Notes{}).Version(context.Background(), endpoint(server))
	ce := errorOf(t, err)
	want := &core.Error{Kind: core.Unavailable,
		What: fmt.Sprintf("cannot reach %q at http://%s/v1/version", server, server),
		Why:  "the connection was refused: nothing listens there",
		Fix:  "start the API on the server (haloyadm serve), and check the port and firewall"}
	if diff := cmp.Diff(want, ce, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
		t.Errorf("Version() error mismatch (-want +got):\n%s", diff)
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	slow := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	// a TCP listener that accepts and never speaks: the TLS handshake cannot finish
	mute := listen(t, "127.0.0.2:0")
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		close(release)
		mute.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	c := New(&memory.Notes{})
	c.Timeouts = Timeouts{Connect: time.Second, TLSHandshake: 200 * time.Millisecond, Response: 200 * time.Millisecond, Total: 5 * time.Second}
	tests := []struct {
		name, server, why string
	}{
		{"response", slow, "no answer in time"},
		{"tls_handshake", mute.Addr().String(), "the TLS handshake did not finish within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := c.Version(context.Background(), endpoint(tt.server))
			ce := errorOf(t, err)
			if ce.Kind != core.Unavailable || !strings.Contains(ce.Why, tt.why) {
				t.Errorf("Version() error = %+v, want Kind Unavailable, Why with %q", ce, tt.why)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Version() took %s, want about the timeout", d)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter []string // one per answer; "" means 200
		wantWaits  []time.Duration
		wantErr    string // a part of Fix, "" for success
	}{
		{"short_wait_then_success", []string{"2", ""}, []time.Duration{2 * time.Second}, ""},
		{"still_limited_after_retry", []string{"1", "1"}, []time.Duration{time.Second}, "wait 1s, then try again"},
		{"long_wait_is_an_error", []string{"3600"}, nil, "wait 1h0m0s, then try again"},
		{"missing_header_means_one_second", []string{"soon", ""}, []time.Duration{time.Second}, ""},
		// MaxRetryWait (10 s) itself is waited out; a second more is not
		{"wait_of_max_retry_wait", []string{"10", ""}, []time.Duration{10 * time.Second}, ""},
		{"wait_over_max_retry_wait", []string{"11"}, nil, "wait 11s, then try again"},
		// Retry-After: 0 means retry now, not the one second of a missing value
		{"zero_means_now", []string{"0", ""}, []time.Duration{0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			f := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
			server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				i := n
				n++
				mu.Unlock()
				if i < len(tt.retryAfter) && tt.retryAfter[i] != "" {
					w.Header().Set("Retry-After", tt.retryAfter[i])
					writeJSON(w, http.StatusTooManyRequests, core.ErrorResponse{Error: "too many failed attempts"})
					return
				}
				f.ServeHTTP(w, r)
			}))
			notes := &memory.Notes{}
			c := New(notes)
			var waits []time.Duration
			c.after = func(d time.Duration) <-chan time.Time {
				waits = append(waits, d)
				ch := make(chan time.Time, 1)
				ch <- time.Now()
				return ch
			}
			got, err := c.Version(context.Background(), endpoint(server))
			if diff := cmp.Diff(tt.wantWaits, waits); diff != "" {
				t.Errorf("waits mismatch (-want +got):\n%s", diff)
			}
			if len(notes.Infos) != len(tt.wantWaits) {
				t.Errorf("notes = %q, want one per wait", notes.Infos)
			}
			if tt.wantErr == "" {
				if err != nil || got.Haloyd != "1.0" {
					t.Errorf("Version() = %+v, %v; want token ci, nil", got, err)
				}
				return
			}
			ce := errorOf(t, err)
			if ce.Kind != core.Unavailable || !strings.Contains(ce.Fix, tt.wantErr) || !strings.Contains(ce.Why, "HTTP 429") {
				t.Errorf("Version() error = %+v, want Kind Unavailable, Fix with %q", ce, tt.wantErr)
			}
		})
	}
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		ctype  string
		body   string
		want   *core.Error
		notWhy string
	}{
		{"bad_request", 400, "application/json", `{"error":"image.repository is required"}`,
			&core.Error{Kind: core.Invalid, What: "version check of %q failed", Why: "the server answered 400 Bad Request: image.repository is required"}, ""},
		{"server_error", 500, "application/json", `{"error":"database is locked"}`,
			&core.Error{Kind: core.Unavailable, What: "version check of %q failed", Why: "the server answered 500 Internal Server Error: database is locked",
				Fix: "look at the server's log (haloyd, or the output of haloyadm serve) on %s, then try again"}, ""},
		{"proxy_html", 502, "text/html", `<html>bad gateway</html>`,
			&core.Error{Kind: core.Unavailable, What: "version check of %q failed", Why: "the server answered 502 Bad Gateway: no error message (an HTML page: a proxy in front of the API?)",
				Fix: "look at the server's log (haloyd, or the output of haloyadm serve) on %s, then try again"}, ""},
		// Haloy's server answers errors in plain text (http.Error)
		{"haloy_plain_text", 400, "text/plain; charset=utf-8", "Invalid deploy configuration: app 'name' is required\n",
			&core.Error{Kind: core.Invalid, What: "version check of %q failed", Why: "the server answered 400 Bad Request: Invalid deploy configuration: app 'name' is required"}, ""},
		// a 403 not from haloyadm still says the token was refused, and how to get one that may
		{"forbidden", 403, "application/json", `{"error":"forbidden"}`,
			&core.Error{Kind: core.Unauthorized, What: "the token may not do this on %q", Why: "the token from env TEST_TOKEN was refused (HTTP 403)",
				Fix: "on the server: sudo haloyadm api token --name ci; then: haloy server add %s --force --token-stdin"}, ""},
		// a server that echoes the token must not make haloy print it
		{"echoed_token", 400, "application/json", `{"error":"bad token ` + token.Reveal() + "\\nsecond line\"}",
			&core.Error{Kind: core.Invalid, What: "version check of %q failed", Why: "the server answered 400 Bad Request: bad token [redacted] second line"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.code)
				fmt.Fprint(w, tt.body)
			}))
			ep := endpoint(server)
			_, err := New(&memory.Notes{}).Version(context.Background(), ep)
			got := errorOf(t, err)
			want := core.TokenRejected(ep)
			if tt.want != nil {
				want = tt.want
				want.What = fmt.Sprintf(want.What, server)
				if want.Fix != "" {
					want.Fix = fmt.Sprintf(want.Fix, server)
				}
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("Version() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotHaloyAPI(t *testing.T) {
	server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>welcome to nginx</html>")
	}))
	_, err := New(&memory.Notes{}).Health(context.Background(), endpoint(server))
	ce := errorOf(t, err)
	wantWhy := fmt.Sprintf("http://%s/health answered 200 with something that is not Haloy's API (Content-Type text/html)", server)
	if ce.Kind != core.Unavailable || ce.Why != wantWhy {
		t.Errorf("Health() error = %+v, want Why %q", ce, wantWhy)
	}
}

func TestTransportErrorClassification(t *testing.T) {
	ep := endpoint("prod.haloy.com")
	to := DefaultTimeouts
	tests := []struct {
		name string
		err  error
		why  string
		fix  string
	}{
		{"dns_not_found", &net.DNSError{Err: "no such host", Name: "prod.haloy.com", IsNotFound: true},
			`the name "prod.haloy.com" does not resolve (no such host)`, "check the server name (haloy server list) and your DNS"},
		{"dial_timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}},
			"no connection within 10s", "check the server name, that the server is up, and that no firewall drops the port"},
		{"unknown", errors.New("something odd"),
			"something odd", "check the server name (haloy server list) and that haloyadm serve runs there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorOf(t, transportError(context.Background(), ep, "https://prod.haloy.com/v1/version", "version check", tt.err, to))
			want := &core.Error{Kind: core.Unavailable, What: `cannot reach "prod.haloy.com" at https://prod.haloy.com/v1/version`, Why: tt.why, Fix: tt.fix}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(core.Error{}, "Err")); diff != "" {
				t.Errorf("transportError(%v) mismatch (-want +got):\n%s", tt.err, diff)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:9922", true},
		{"[::1]:9922", true},
		{"127.5.6.7:80", true},
		// localhost pointed elsewhere by /etc/hosts or DNS: no plain HTTP there
		{"10.0.0.5:9922", false},
		{"[2001:db8::1]:80", false},
		{"93.184.216.34:80", false},
	}
	for _, tt := range tests {
		err := loopbackOnly("tcp", tt.address, nil)
		if got := err == nil; got != tt.ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", tt.address, err, tt.ok)
		}
		if err != nil {
			if ce := errorOf(t, err); ce.Kind != core.Unsafe {
				t.Errorf("loopbackOnly(%q) kind = %v, want Unsafe", tt.address, ce.Kind)
			}
		}
	}
}

func TestBearerRefusesPlainHTTPToRemoteHost(t *testing.T) {
	called := false
	b := &bearer{next: roundTripFunc(func(*http.Request) (*http.Response, error) { called = true; return nil, errors.New("sent") }),
		token: token, scheme: "http", host: "prod.haloy.com"}
	req, _ := http.NewRequest(http.MethodGet, "http://prod.haloy.com/v1/version", nil)
	_, err := b.RoundTrip(req)
	if ce := errorOf(t, err); ce.Kind != core.Unsafe || called {
		t.Errorf("RoundTrip(http://prod.haloy.com) = %+v, called=%v; want Kind Unsafe, nothing sent", ce, called)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCancelledWhileWaiting(t *testing.T) {
	release := make(chan struct{})
	server := startPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := New(&memory.Notes{}).Deploy(ctx, endpoint(server), request("web"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Deploy(ctx with deadline) error = %v, want context.DeadlineExceeded", err)
	}
	errorOf(t, err)
}

// SSL_CERT_FILE is read once per process by crypto/x509, so the check runs
// in a child process of the test binary with the variable set.
func TestSSLCertFileIsHonoured(t *testing.T) {
	if server := os.Getenv("HTTPCLIENT_TEST_SERVER"); server != "" {
		ep := endpoint(server)
		if _, err := New(&memory.Notes{}).Version(context.Background(), ep); err != nil {
			fmt.Fprintf(os.Stderr, "child: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	ca := newTestCA(t)
	server := startTLS(t, newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"}), "127.0.0.2:0", ca.leaf(t, "127.0.0.2"))
	for _, tt := range []struct {
		name   string
		env    []string
		wantOK bool
	}{
		{"with_ssl_cert_file", []string{"SSL_CERT_FILE=" + ca.file}, true},
		{"with_ssl_cert_dir", []string{"SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=" + filepath.Dir(ca.file)}, true},
		{"without", []string{"SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSSLCertFileIsHonoured$")
			cmd.Env = append(os.Environ(), "HTTPCLIENT_TEST_SERVER="+server)
			cmd.Env = append(cmd.Env, tt.env...)
			out, err := cmd.CombinedOutput()
			if got := err == nil; got != tt.wantOK {
				t.Errorf("child with %q: ok = %v, want %v; output:\n%s", tt.env, got, tt.wantOK, out)
			}
			if strings.Contains(string(out), token.Reveal()) {
				t.Errorf("child output shows the token:\n%s", out)
			}
		})
	}
}

// [::1] is reached over plain HTTP, with the token, like 127.0.0.1.
func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	f := newFakeAPI("1.0", map[string]string{token.Reveal(): "ci"})
	s := &http.Server{Handler: f, ReadHeaderTimeout: time.Second}
	go s.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { s.Close() })
	server := ln.Addr().String() // [::1]:port, as core.NormalizeServer writes it
	got, err := New(&memory.Notes{}).Version(context.Background(), endpoint(server))
	if err != nil || got.Haloyd != "1.0" {
		t.Fatalf("Version(%s) = %+v, %v; want token ci", server, got, err)
	}
	if r := f.requests(); len(r) != 1 || r[0].Authorization != "Bearer "+token.Reveal() {
		t.Errorf("requests = %v, want one with the token", r)
	}
}
