package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cmdTimeout bounds every command the tests run; a hung command fails its
// test instead of the whole suite's deadline.
const cmdTimeout = 30 * time.Second

// result is what a finished command printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// output is stdout then stderr, for messages.
func (r result) output() string { return r.stdout + r.stderr }

// execute runs bin with args in dir under exactly env, feeding stdin, and
// captures its output for the leak scan under label.
func execute(t *testing.T, label, dir string, env []string, stdin string, bin string, args ...string) result {
	t.Helper()
	r := run(t, label, dir, env, stdin, bin, args...)
	name := label + " " + strings.Join(args, " ")
	leaks.Capture(t, name+" (stdout)", r.stdout)
	leaks.Capture(t, name+" (stderr)", r.stderr)
	return r
}

// run runs bin like execute, without capturing its output.
func run(t *testing.T, label, dir string, env []string, stdin string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q did not finish in %s\n%s", label, args, cmdTimeout, r.output())
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %q: %v", label, args, err)
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers, who
// can wait for what they expect to be written.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// logWait bounds how long a test waits for a server's log line: the server
// writes it before it answers, but the test reads the log through a pipe.
const logWait = 5 * time.Second

// WaitFor waits until ok accepts the text, or logWait passes, and returns
// the text then.
func (s *syncBuffer) WaitFor(ok func(string) bool) string {
	deadline := time.After(logWait)
	for {
		s.mu.Lock()
		text := s.b.String()
		if ok(text) {
			s.mu.Unlock()
			return text
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return s.String()
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `haloyadm serve` with its own directories.
type server struct {
	// Name is how clients add it: "127.0.0.1:<port>" or "localhost:<port>".
	Name string
	// URL is what serve announced, e.g. http://127.0.0.1:41234.
	URL string
	// First is the token `haloyadm init` printed, FirstName its name.
	First, FirstName string

	cfg, data string
	extraEnv  []string
	log       *syncBuffer
	cmd       *exec.Cmd
	exited    chan struct{}
	stopOnce  sync.Once
}

// serverOpts change how startServer runs serve.
type serverOpts struct {
	// Listen defaults to 127.0.0.1:0.
	Listen string
	// TLSCert and TLSKey serve HTTPS.
	TLSCert, TLSKey string
	// Localhost names the server localhost:<port> rather than 127.0.0.1:<port>.
	Localhost bool
	// Env is added to the environment of serve and of every haloyadm
	// command (SSL_CERT_FILE for a test OIDC issuer).
	Env []string
}

// startServer initializes a server in throwaway directories and serves it
// on an ephemeral loopback port until the test ends.
func startServer(t *testing.T, opts serverOpts) *server {
	t.Helper()
	root := t.TempDir()
	s := &server{cfg: filepath.Join(root, "etc"), data: filepath.Join(root, "var"), log: &syncBuffer{}, exited: make(chan struct{}), extraEnv: opts.Env}
	s.First = s.issue(t, "init")
	r := s.admin(t, "api", "token", "list", "--json")
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("haloyadm api token list --json after init = %v, %v\n%s", list, err, r.output())
	}
	s.FirstName = list[0].Name

	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	args := []string{"serve", "--listen", opts.Listen}
	if opts.TLSCert != "" {
		args = append(args, "--tls-cert", opts.TLSCert, "--tls-key", opts.TLSKey)
	}
	s.cmd = exec.Command(adminBin, args...)
	s.cmd.Dir = root
	s.cmd.Env = s.env()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		defer close(s.exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.log.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "haloyadm: serving on "); ok {
				ready <- u
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(func() { s.Stop(t) })
	select {
	case s.URL = <-ready:
	case <-s.exited:
		t.Fatalf("haloyadm %q exited before serving:\n%s", args, s.log.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("haloyadm %q did not announce its address in 10s:\n%s", args, s.log.String())
	}
	hostPort := s.URL[strings.Index(s.URL, "://")+3:]
	s.Name = hostPort
	if opts.Localhost {
		s.Name = "localhost:" + hostPort[strings.LastIndex(hostPort, ":")+1:]
	}
	return s
}

func (s *server) env() []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(s.cfg),
		"HALOY_CONFIG_DIR=" + s.cfg, "HALOY_DATA_DIR=" + s.data}, s.extraEnv...)
}

// Stop ends serve with SIGTERM, as systemd would, and scans its log and
// files for tokens: the database must hold hashes only. It runs once; the
// test's cleanup calls it too.
func (s *server) Stop(t *testing.T) {
	t.Helper()
	s.stopOnce.Do(func() { s.stop(t) })
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("haloyadm serve did not stop within 15s of SIGTERM")
		}
	}
	leaks.Capture(t, "server "+s.Name+" log", s.log.String())
	leaks.CaptureDir(t, "server "+s.Name, filepath.Dir(s.cfg), nil)
}

// Log is what serve has printed so far.
func (s *server) Log() string { return s.log.String() }

// admin runs haloyadm against this server's directories.
func (s *server) admin(t *testing.T, args ...string) result {
	t.Helper()
	return execute(t, "haloyadm", filepath.Dir(s.cfg), s.env(), "", adminBin, args...)
}

// Token creates a token named name, with more flags if given (--expires
// 1s), and registers it with the leak scan.
func (s *server) Token(t *testing.T, name string, flags ...string) string {
	t.Helper()
	return s.issue(t, append([]string{"api", "token", "--name", name}, flags...)...)
}

// issue runs a haloyadm command that prints a new token and returns it. Its
// stdout is the one output meant to hold a token: it must hold the token
// alone, so that TOKEN=$(haloyadm api token) works; its stderr is scanned.
func (s *server) issue(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, "haloyadm", filepath.Dir(s.cfg), s.env(), "", adminBin, args...)
	tok := strings.TrimSuffix(r.stdout, "\n")
	if r.code != 0 || !strings.HasPrefix(tok, "haloy_") || strings.ContainsAny(tok, " \n") {
		t.Fatalf("haloyadm %s = exit %d, stdout %d bytes, want exit 0 and one token line\n%s", strings.Join(args, " "), r.code, len(r.stdout), r.stderr)
	}
	leaks.Secret(tok)
	leaks.Capture(t, "haloyadm "+strings.Join(args, " ")+" (stderr)", r.stderr)
	return tok
}

// Revoke revokes the token named name.
func (s *server) Revoke(t *testing.T, name string) {
	t.Helper()
	if r := s.admin(t, "api", "token", "revoke", name); r.code != 0 {
		t.Fatalf("haloyadm api token revoke %s = exit %d\n%s", name, r.code, r.output())
	}
}

// Deployed reports how many deployments of app the server's log records
// as authorized by the token named token, waiting for up to want of them.
func (s *server) Deployed(app, token string, want int) int {
	line := `of app "` + app + `" recorded (token "` + token + `")`
	text := s.log.WaitFor(func(text string) bool { return strings.Count(text, line) >= want })
	return strings.Count(text, line)
}

// WaitLog returns the server's log once it holds piece, or after logWait.
func (s *server) WaitLog(piece string) string {
	return s.log.WaitFor(func(text string) bool { return strings.Contains(text, piece) })
}

// client is a user of haloy: a home, a config directory and a project
// directory, and nothing inherited from the test's environment.
type client struct {
	Home, Config, Dir string
	// Env is added to every command's environment ("NAME=value").
	Env []string
	// Path is prepended to PATH (a fake op's directory).
	Path string
}

func newClient(t *testing.T) *client {
	t.Helper()
	home := t.TempDir()
	c := &client{Home: home, Config: filepath.Join(home, ".config", "haloy"), Dir: filepath.Join(home, "project")}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// the tokens belong in the config directory's .env and nowhere else;
		// the project's files are the test's own (an api_token.value, a .env)
		leaks.CaptureDir(t, "client config", c.Config, func(rel string) bool { return rel == ".env" })
	})
	return c
}

// env is the whole environment of a haloy command.
func (c *client) env(extra ...string) []string {
	path := os.Getenv("PATH")
	if c.Path != "" {
		path = c.Path + string(os.PathListSeparator) + path
	}
	env := []string{"PATH=" + path, "HOME=" + c.Home, "HALOY_CONFIG_DIR=" + c.Config}
	env = append(env, c.Env...)
	return append(env, extra...)
}

// Run runs haloy in the project directory.
func (c *client) Run(t *testing.T, args ...string) result {
	t.Helper()
	return execute(t, "haloy", c.Dir, c.env(), "", haloyBin, args...)
}

// RunIn runs haloy with stdin and extra environment variables.
func (c *client) RunIn(t *testing.T, stdin string, extra []string, args ...string) result {
	t.Helper()
	return execute(t, "haloy", c.Dir, c.env(extra...), stdin, haloyBin, args...)
}

// Must runs haloy and fails the test unless it exits 0.
func (c *client) Must(t *testing.T, args ...string) result {
	t.Helper()
	r := c.Run(t, args...)
	if r.code != 0 {
		t.Fatalf("haloy %s = exit %d, want 0\n%s", strings.Join(args, " "), r.code, r.output())
	}
	return r
}

// Add adds server with its token through stdin, as the docs recommend.
func (c *client) Add(t *testing.T, server, token string, flags ...string) {
	t.Helper()
	args := append([]string{"server", "add", server, "--token-stdin"}, flags...)
	if r := c.RunIn(t, token+"\n", nil, args...); r.code != 0 {
		t.Fatalf("haloy %s = exit %d\n%s", strings.Join(args, " "), r.code, r.output())
	}
}

// Write writes a file of the project directory (a haloy.yaml, a .env).
func (c *client) Write(t *testing.T, name, content string) {
	t.Helper()
	p := filepath.Join(c.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// appYAML is a minimal app config; server and apiToken are YAML lines ("" to leave out).
func appYAML(name, server, apiToken string) string {
	var b strings.Builder
	b.WriteString("name: " + name + "\n")
	if server != "" {
		b.WriteString("server: " + server + "\n")
	}
	if apiToken != "" {
		b.WriteString(apiToken)
	}
	b.WriteString("image:\n  repository: ghcr.io/example/" + name + "\n  tag: v1\n")
	return b.String()
}

// fromEnv is an api_token block reading variable v.
func fromEnv(v string) string {
	return "api_token:\n  from:\n    env: " + v + "\n"
}

// recorder is a plain HTTP listener on loopback that plays Haloy's own
// server (haloyd), as its source documents the wire: camelCase JSON, 202
// with no body, errors in plain text, the deployment log as server-sent
// events with keepalive comments; and records what every request carried.
type recorder struct {
	*httptest.Server
	opts recorderOpts
	mu   sync.Mutex
	seen []seenRequest
	apps map[string]string // deploymentID -> app
}

// recorderOpts change how a recorder answers.
type recorderOpts struct {
	// Redirect, when set, answers every /v1/ request with a 307 to it.
	Redirect string
	// DeployError, when set, refuses every deployment with a 500 and this plain-text message.
	DeployError string
	// FailWith, when set, ends every deployment's log with Haloy's failure
	// entry carrying this error.
	FailWith string
	// Hang, when set, streams one entry and then only keepalives, as a
	// deployment that takes long.
	Hang bool
}

// seenRequest is one request a recorder received.
type seenRequest struct{ Method, Path, Authorization, Body string }

func newRecorder(t *testing.T, opts recorderOpts) *recorder {
	t.Helper()
	r := &recorder{opts: opts, apps: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.Close()
		// no body carries a token or a secret value, except the app's own
		// env values in targetConfig, which the server needs to run it
		for _, req := range r.Seen() {
			leaks.Capture(t, "body of "+req.Method+" "+req.Path+" to "+r.Name()+" (without targetConfig's env values)", withoutEnvValues(t, req.Body))
		}
	})
	return r
}

// withoutEnvValues returns a deploy request body without the values of
// targetConfig.env, and any other body as it is.
func withoutEnvValues(t *testing.T, body string) string {
	var req map[string]any
	if json.Unmarshal([]byte(body), &req) != nil {
		return body
	}
	if tc, ok := req["targetConfig"].(map[string]any); ok {
		if env, ok := tc["env"].([]any); ok {
			for _, e := range env {
				if m, ok := e.(map[string]any); ok {
					delete(m, "value")
				}
			}
		}
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.seen = append(r.seen, seenRequest{req.Method, req.URL.Path, strings.Join(req.Header.Values("Authorization"), ", "), string(body)})
	r.mu.Unlock()
	redirect := r.opts.Redirect
	path := req.URL.Path
	switch {
	case path == "/health":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "service": "haloyd", "version": "recorder"})
	case redirect != "":
		http.Redirect(w, req, redirect+path, http.StatusTemporaryRedirect)
	case path == "/v1/version":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"haloyd": "recorder", "capabilities": []string{"layer-upload", "image-disk-preflight"}})
	case path == "/v1/deploy" && r.opts.DeployError != "":
		http.Error(w, r.opts.DeployError, http.StatusInternalServerError)
	case path == "/v1/deploy":
		var d struct {
			ID     string `json:"deploymentID"`
			Target struct {
				Name string `json:"name"`
			} `json:"targetConfig"`
		}
		if err := json.Unmarshal(body, &d); err != nil || d.ID == "" || d.Target.Name == "" {
			http.Error(w, "Deployment ID is required", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.apps[d.ID] = d.Target.Name
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case strings.HasPrefix(path, "/v1/deploy/") && strings.HasSuffix(path, "/logs"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/deploy/"), "/logs")
		r.mu.Lock()
		app := r.apps[id]
		r.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if r.opts.Hang {
			_, _ = io.WriteString(w, `data: {"level":"INFO","message":"Pulling image","timestamp":"2026-01-02T03:04:05Z","deploymentID":"`+id+`","appName":"`+app+"\"}\n\n")
			w.(http.Flusher).Flush()
			for {
				select {
				case <-req.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
					_, _ = io.WriteString(w, ": keepalive\n\n")
					w.(http.Flusher).Flush()
				}
			}
		}
		last := `{"level":"INFO","message":"Deployment complete","timestamp":"2026-01-02T03:04:06Z","deploymentID":"` + id + `","appName":"` + app + `","isDeploymentComplete":true,"isDeploymentSuccess":true}`
		if r.opts.FailWith != "" {
			msg, _ := json.Marshal(r.opts.FailWith)
			last = `{"level":"ERROR","message":"Deployment failed","timestamp":"2026-01-02T03:04:06Z","deploymentID":"` + id + `","appName":"` + app +
				`","fields":{"error":` + string(msg) + `},"isDeploymentComplete":true,"isDeploymentFailed":true}`
		}
		for _, chunk := range []string{": keepalive\n\n",
			`data: {"level":"INFO","message":"Pulling image","timestamp":"2026-01-02T03:04:05Z","deploymentID":"` + id + `","appName":"` + app + "\"}\n\n",
			": keepalive\n\n", "data: " + last + "\n\n"} {
			_, _ = io.WriteString(w, chunk)
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	case strings.HasPrefix(path, "/v1/status/"):
		app, latest := strings.TrimPrefix(path, "/v1/status/"), ""
		r.mu.Lock()
		for id, a := range r.apps {
			if a == app && id > latest {
				latest = id
			}
		}
		r.mu.Unlock()
		if latest == "" {
			http.Error(w, "No containers found for the specified app", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"state": "running", "deploymentId": latest, "containerIds": []string{"4f1c2a9e7b3d5f60"},
			"domains": []map[string]string{{"domain": app + ".example.com"}}})
	default:
		http.Error(w, "404 page not found", http.StatusNotFound)
	}
}

// Seen returns the requests so far.
func (r *recorder) Seen() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.seen...)
}

// Name is the recorder's server name for haloy: 127.0.0.1:<port>.
func (r *recorder) Name() string { return strings.TrimPrefix(r.URL, "http://") }
