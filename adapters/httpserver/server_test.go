package httpserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// fixture is an API server on loopback over a real SQLite store in a temp dir.
type fixture struct {
	t     *testing.T
	dir   string
	store *sqlite.Store
	srv   *Server
	http  *httptest.Server
	notes *memory.Notes
	clock *clock
	toks  []string // every token made, to check that none is logged
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), notes: &memory.Notes{}, clock: &clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}}
	f.store = f.openStore()
	f.srv = New(f.store, f.store, f.notes, WithTokenAdmin(&testAdmin{store: f.store, now: f.clock.now}))
	// last use is written in the background: let it end before the store closes
	t.Cleanup(func() { f.srv.touch.wait(context.Background()) })
	f.srv.now = f.clock.now
	f.srv.version = "1.2.3"
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	t.Cleanup(f.checkLogs)
	return f
}

// openStore opens a handle on the fixture's database, as another process would.
func (f *fixture) openStore() *sqlite.Store {
	s := sqlite.New(memory.Env{core.ServerDataDirEnv: f.dir})
	f.t.Cleanup(func() { s.Close() })
	return s
}

// token creates a token named name expiring after life (0: never).
func (f *fixture) token(name string, life time.Duration) string {
	f.t.Helper()
	return f.tokenWith(name, life, core.TokenGrant{})
}

// tokenWith creates a token named name expiring after life (0: never)
// with grant g.
func (f *fixture) tokenWith(name string, life time.Duration, g core.TokenGrant) string {
	f.t.Helper()
	var b [core.APITokenBytes]byte
	rand.Read(b[:])
	tok := core.FormatAPIToken(b)
	var exp time.Time
	if life != 0 {
		exp = f.clock.now().Add(life)
	}
	if _, err := f.store.Create(context.Background(), core.NewTokenRecord{Name: name, Hash: core.HashAPIToken(tok), CreatedAt: f.clock.now(), ExpiresAt: exp, Grant: g}); err != nil {
		f.t.Fatal(err)
	}
	f.toks = append(f.toks, tok)
	return tok
}

type resp struct {
	Code int
	Hdr  http.Header
	Body string
}

func (f *fixture) do(method, path string, hdr map[string][]string, body string) resp {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	r, err := f.http.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, string(b)}
}

func bearer(tok string) map[string][]string {
	return map[string][]string{"Authorization": {"Bearer " + tok}}
}

func (f *fixture) checkLogs() {
	for _, line := range append(append([]string{}, f.notes.Infos...), f.notes.Warnings...) {
		for _, tok := range f.toks {
			if strings.Contains(line, tok) || strings.Contains(line, tok[len(core.APITokenPrefix):len(core.APITokenPrefix)+12]) {
				f.t.Errorf("log line %q contains a token", line)
			}
		}
	}
}

func errorBody(msg string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(core.ErrorResponse{Error: msg})
	return b.String()
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	got := f.do("GET", "/health", nil, "")
	if diff := cmp.Diff(resp{200, got.Hdr, `{"status":"ok","service":"haloyd","version":"1.2.3"}` + "\n"}, got); diff != "" {
		t.Errorf("GET /health mismatch (-want +got):\n%s", diff)
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
		"Content-Type": "application/json", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
	for k, v := range want {
		if g := got.Hdr.Get(k); g != v {
			t.Errorf("GET /health header %s = %q, want %q", k, g, v)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	tests := []struct {
		name    string
		hdr     func(f *fixture) map[string][]string
		wantLog string
	}{
		{"missing", func(*fixture) map[string][]string { return nil }, "reason=missing"},
		{"empty", func(*fixture) map[string][]string { return map[string][]string{"Authorization": {""}} }, "reason=malformed"},
		{"basic_scheme", func(f *fixture) map[string][]string {
			return map[string][]string{"Authorization": {"Basic " + f.token("a", 0)}}
		}, "reason=malformed"},
		{"scheme_only", func(*fixture) map[string][]string { return map[string][]string{"Authorization": {"Bearer"}} }, "reason=malformed"},
		{"not_a_haloy_token", func(*fixture) map[string][]string { return bearer("abc123token456") }, "reason=malformed"},
		{"two_headers", func(f *fixture) map[string][]string {
			tok := f.token("a", 0)
			return map[string][]string{"Authorization": {"Bearer " + tok, "Bearer " + tok}}
		}, "reason=malformed"},
		{"unknown", func(f *fixture) map[string][]string {
			f.token("a", 0)
			return bearer(core.FormatAPIToken([32]byte{1}))
		}, "reason=unknown token"},
		{"token_with_extra_char", func(f *fixture) map[string][]string { return bearer(f.token("a", 0) + "x") }, "reason=unknown token"},
		{"revoked", func(f *fixture) map[string][]string {
			tok := f.token("old-ci", 0)
			if _, err := f.store.Revoke(context.Background(), "old-ci", f.clock.now(), "haloyadm"); err != nil {
				t.Fatal(err)
			}
			return bearer(tok)
		}, `reason=revoked token "old-ci"`},
		{"expired", func(f *fixture) map[string][]string {
			tok := f.token("short", time.Hour)
			f.clock.add(time.Hour)
			return bearer(tok)
		}, `reason=expired token "short"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			hdr := tt.hdr(f)
			for _, path := range []string{"GET /v1/version", "POST /v1/deploy", "GET /v1/status/web", "GET /v1/nope", "DELETE /v1/version"} {
				method, p, _ := strings.Cut(path, " ")
				got := f.do(method, p, hdr, `{}`)
				want := resp{401, got.Hdr, errorBody(unauthorizedMsg)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
				}
				if h := got.Hdr.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
					t.Errorf("%s WWW-Authenticate = %q, want Bearer", path, h)
				}
			}
			if len(f.notes.Infos) != 5 {
				t.Fatalf("log lines = %q, want 5", f.notes.Infos)
			}
			want := `auth failure: time=2026-11-27T0` // the hour depends on the case's clock
			line := f.notes.Infos[0]
			if !strings.HasPrefix(line, want) || !strings.Contains(line, ` ip=127.0.0.1 route="GET /v1/version" `) || !strings.HasSuffix(line, tt.wantLog) {
				t.Errorf("log line = %q, want time, ip, route and %q", line, tt.wantLog)
			}
		})
	}
}

// The scheme is case-insensitive (RFC 9110); a good token is 200 however it is written.
func TestSchemeCase(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		got := f.do("GET", "/v1/version", map[string][]string{"Authorization": {scheme + " " + tok}}, "")
		if got.Code != 200 {
			t.Errorf("GET /v1/version with scheme %q = %d %s, want 200", scheme, got.Code, got.Body)
		}
	}
}

func TestVersion(t *testing.T) {
	f := newFixture(t)
	never := f.token("laptop", 0)
	soon := f.token("ci", 24*time.Hour)
	tests := []struct {
		tok  string
		want string
	}{
		{never, `{"haloyd":"1.2.3","token_name":"laptop"}` + "\n"},
		{soon, `{"haloyd":"1.2.3","token_name":"ci","token_expires_at":"2026-11-28T03:00:00Z"}` + "\n"},
	}
	for _, tt := range tests {
		got := f.do("GET", "/v1/version", bearer(tt.tok), "")
		if diff := cmp.Diff(resp{200, got.Hdr, tt.want}, got); diff != "" {
			t.Errorf("GET /v1/version mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	good := f.token("ci", 0)
	bad := bearer(core.FormatAPIToken([32]byte{7}))
	// successful requests never count against the budget
	for i := range 100 {
		if got := f.do("GET", "/v1/version", bearer(good), ""); got.Code != 200 {
			t.Fatalf("good request %d = %d, want 200", i, got.Code)
		}
	}
	for i := range FailureBurst {
		if got := f.do("GET", "/v1/version", bad, ""); got.Code != 401 {
			t.Fatalf("bad request %d = %d, want 401", i, got.Code)
		}
	}
	got := f.do("GET", "/v1/version", bad, "")
	want := resp{429, got.Hdr, errorBody("too many failed authentication attempts from 127.0.0.1; retry in 6 seconds")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bad request past the burst mismatch (-want +got):\n%s", diff)
	}
	if ra := got.Hdr.Get("Retry-After"); ra != "6" {
		t.Errorf("Retry-After = %q, want %q", ra, "6")
	}
	// while blocked, even a good token is refused: otherwise a guess could still succeed
	if got := f.do("GET", "/v1/version", bearer(good), ""); got.Code != 429 {
		t.Errorf("good request from a blocked IP = %d, want 429", got.Code)
	}
	// Haloy's client calls /health before every call: never limited
	if got := f.do("GET", "/health", nil, ""); got.Code != 200 {
		t.Errorf("GET /health from a blocked IP = %d, want 200", got.Code)
	}
	// another IP is not affected
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/version", nil)
	req.RemoteAddr = "192.0.2.9:4444"
	req.Header.Set("Authorization", "Bearer "+good)
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("good request from another IP = %d, want 200", rec.Code)
	}
	f.clock.add(3 * time.Second)
	if got := f.do("GET", "/v1/version", bad, ""); got.Hdr.Get("Retry-After") != "3" {
		t.Errorf("Retry-After 3s later = %q, want %q", got.Hdr.Get("Retry-After"), "3")
	}
	f.clock.add(3 * time.Second)
	if got := f.do("GET", "/v1/version", bearer(good), ""); got.Code != 200 {
		t.Errorf("good request after the wait = %d, want 200", got.Code)
	}
	if got := f.do("GET", "/v1/version", bad, ""); got.Code != 401 {
		t.Errorf("bad request after the wait = %d, want 401", got.Code)
	}
	if got := f.do("GET", "/v1/version", bad, ""); got.Code != 429 {
		t.Errorf("second bad request after the wait = %d, want 429", got.Code)
	}
}

// A revoke or a create made by 'haloyadm api token' (another process, here
// another store handle) takes effect on the server's next request.
func TestChangesThroughSecondHandle(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 200 {
		t.Fatalf("before revoke = %d, want 200", got.Code)
	}
	other := f.openStore()
	if _, err := other.Revoke(context.Background(), "ci", f.clock.now(), "haloyadm"); err != nil {
		t.Fatal(err)
	}
	if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 401 {
		t.Errorf("after revoke through another handle = %d, want 401", got.Code)
	}
	var b [32]byte
	rand.Read(b[:])
	fresh := core.FormatAPIToken(b)
	f.toks = append(f.toks, fresh)
	if _, err := other.Create(context.Background(), core.NewTokenRecord{Name: "new", Hash: core.HashAPIToken(fresh), CreatedAt: f.clock.now()}); err != nil {
		t.Fatal(err)
	}
	if got := f.do("GET", "/v1/version", bearer(fresh), ""); got.Code != 200 {
		t.Errorf("token created through another handle = %d, want 200", got.Code)
	}
}

// wireID turns a test's short deployment id ("d1") into a lower-case ULID,
// the only ids the API accepts.
func wireID(id string) string {
	id = strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", r) {
			return r
		}
		return 'x'
	}, strings.ToLower(id))
	return "01" + strings.Repeat("0", 24-len(id)) + id
}

// deployBody is Haloy's DeployRequest for app, with an env value.
func deployBody(id, app string) string {
	id = wireID(id)
	return fmt.Sprintf(`{"deploymentID":%q,"targetConfig":{"name":%q,"server":"prod.example.com","image":{"repository":"ghcr.io/acme/%[2]s","tag":"v1"},`+
		`"domains":[{"domain":"%[2]s.example.com"}],"env":[{"name":"DATABASE_URL","value":"postgres://u:serverTESTsecret@db/x"}],"port":"8080"},`+
		`"rollbackDeployConfig":{"name":%[2]q,"server":"prod.example.com","image":{"repository":"ghcr.io/acme/%[2]s","tag":"v1"},"env":[{"name":"DATABASE_URL","from":{"env":"DATABASE_URL"}}]}}`, id, app)
}

func TestDeploy(t *testing.T) {
	f := newFixture(t)
	tok := f.token("ci", 0)
	auth := bearer(tok)
	if got := f.do("GET", "/v1/status/web", auth, ""); got.Code != 404 || got.Body != errorBody(`unknown app "web": no deployment of it is recorded`) {
		t.Errorf("status of an unknown app = %d %s, want 404", got.Code, got.Body)
	}
	got := f.do("POST", "/v1/deploy", auth, deployBody("d1", "web"))
	// Haloy's answer: 202 and no body
	if diff := cmp.Diff(resp{202, got.Hdr, ""}, got); diff != "" {
		t.Errorf("POST /v1/deploy mismatch (-want +got):\n%s", diff)
	}
	f.clock.add(time.Minute)
	f.do("POST", "/v1/deploy", auth, deployBody("d2", "web"))
	f.do("POST", "/v1/deploy", auth, deployBody("d3", "api"))
	got = f.do("POST", "/v1/deploy", auth, deployBody("d2", "web"))
	if diff := cmp.Diff(resp{409, got.Hdr, errorBody(`deployment "` + wireID("d2") + `" is already recorded: each deployment has its own id`)}, got); diff != "" {
		t.Errorf("POST /v1/deploy twice mismatch (-want +got):\n%s", diff)
	}
	got = f.do("GET", "/v1/status/web", auth, "")
	var st core.StatusResponse
	if err := json.Unmarshal([]byte(got.Body), &st); err != nil || got.Code != 200 {
		t.Fatalf("GET /v1/status/web = %d %s", got.Code, got.Body)
	}
	var ids []string
	for _, d := range st.Deployments {
		ids = append(ids, d.ID)
		if d.TokenName != "ci" || d.TokenID == 0 || d.Image.Repository != "ghcr.io/acme/web" {
			t.Errorf("deployment %s = %+v, want it authorized by ci", d.ID, d)
		}
		if diff := cmp.Diff([]string{"DATABASE_URL"}, d.EnvNames); diff != "" {
			t.Errorf("recorded env mismatch (-want +got):\n%s", diff)
		}
	}
	if strings.Contains(got.Body, "serverTESTsecret") {
		t.Errorf("GET /v1/status/web = %s, shows an env value", got.Body)
	}
	if st.State != "recorded" || st.DeploymentID != wireID("d2") || len(st.Domains) != 1 || st.Domains[0].Domain != "web.example.com" {
		t.Errorf("Haloy's fields of the status = %+v, want the newest deployment's", st)
	}
	if diff := cmp.Diff([]string{wireID("d2"), wireID("d1")}, ids); diff != "" {
		t.Errorf("status order mismatch (-want +got):\n%s", diff)
	}
	if want := f.clock.now(); !st.Deployments[0].ReceivedAt.Equal(want) {
		t.Errorf("received at = %v, want %v", st.Deployments[0].ReceivedAt, want)
	}
	if got := f.do("GET", "/v1/status/Bad..App", auth, ""); got.Code != 400 {
		t.Errorf("status of an invalid app name = %d, want 400", got.Code)
	}
}

func TestBadDeployBodies(t *testing.T) {
	f := newFixture(t)
	auth := bearer(f.token("ci", 0))
	tests := []struct {
		name     string
		ctype    string
		body     string
		wantCode int
		wantErr  string
	}{
		{"empty", "application/json", "", 400, "invalid deployment: the request body is empty"},
		{"not_json", "application/json", "deploy please", 400, "invalid deployment JSON: invalid character 'd' looking for beginning of value"},
		{"truncated", "application/json", `{"deploymentID":"x"`, 400, "invalid deployment JSON: unexpected EOF"},
		{"unknown_field", "application/json", `{"deploymentID":"x","env_values":{"A":"b"}}`, 400, `invalid deployment JSON: json: unknown field "env_values"`},
		// Haloy's client puts the token here; haloyadm serve takes no token in a body
		{"api_token_in_body", "application/json", `{"targetConfig":{"name":"web","apiToken":{"value":"haloy_x"}}}`, 400, `invalid deployment JSON: json: unknown field "apiToken"`},
		// our own earlier body, which only haloyadm serve understood
		{"old_body", "application/json", `{"deployment_id":"d1","app":"web"}`, 400, `invalid deployment JSON: json: unknown field "deployment_id"`},
		{"two_objects", "application/json", deployBody("d1", "web") + deployBody("d2", "web"), 400, "invalid deployment JSON: data after the JSON object"},
		// Haloy's port is a string
		{"port_number", "application/json", `{"targetConfig":{"port":8080}}`, 400, "invalid deployment JSON: json: cannot unmarshal number into Go struct field DeployTarget.targetConfig.port of type string"},
		{"no_id", "application/json", `{"targetConfig":{"name":"web"}}`, 400, `invalid deploymentID "": a deployment id is a ULID in lower case (26 characters of 0-9 and a-z without i, l, o, u)`},
		{"build", "application/json", strings.Replace(deployBody("d1", "web"), `"tag":"v1"}`, `"tag":"v1","build":true}`, 1), 400,
			`image "ghcr.io/acme/web:v1" is to be built, and haloy deploys built images only: image.build or image.build_config asks for a local Docker build and upload, which haloy does not do`},
		{"bad_app", "application/json", deployBody("d1", "Web App"), 400, `invalid app name "Web App": an app name is 1 to 255 lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"env_value_in_name", "application/json", strings.Replace(deployBody("d1", "web"), `"name":"DATABASE_URL","value"`, `"name":"PASSWORD=hunter2","value"`, 1), 400, "invalid env variable name: a name is letters, digits and '_', not starting with a digit"},
		{"text_plain", "text/plain", deployBody("d1", "web"), 415, `the deployment must be JSON (Content-Type: application/json), not "text/plain"`},
		{"too_big", "application/json", `{"deploymentID":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, "the deployment is larger than 1048576 bytes"},
		// the size is checked before the content: 413, not a JSON error
		{"too_big_not_json", "application/json", strings.Repeat("x", MaxBodyBytes+1), 413, "the deployment is larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := bearer(f.toks[0])
			hdr["Content-Type"] = []string{tt.ctype}
			got := f.do("POST", "/v1/deploy", hdr, tt.body)
			if diff := cmp.Diff(resp{tt.wantCode, got.Hdr, errorBody(tt.wantErr)}, got); diff != "" {
				t.Errorf("POST /v1/deploy mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := f.do("GET", "/v1/status/web", auth, ""); got.Code != 404 {
		t.Errorf("status after only bad bodies = %d, want 404 (nothing recorded)", got.Code)
	}
}

func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	toks := []string{f.token("a", 0), f.token("b", 0), f.token("c", 0)}
	bad := core.FormatAPIToken([32]byte{3})
	const workers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan string, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			tok := toks[w%len(toks)]
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				req, _ := http.NewRequest("POST", f.http.URL+"/v1/deploy", bytes.NewBufferString(deployBody(id, "web")))
				req.Header.Set("Authorization", "Bearer "+tok)
				r, err := f.http.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode != 202 {
					errs <- fmt.Sprintf("deploy %s = %d", id, r.StatusCode)
				}
				if w == 0 && i < 3 { // a few failures on the side, under the burst
					req, _ := http.NewRequest("GET", f.http.URL+"/v1/version", nil)
					req.Header.Set("Authorization", "Bearer "+bad)
					if r, err := f.http.Client().Do(req); err == nil {
						r.Body.Close()
						if r.StatusCode != 401 {
							errs <- "bad token = " + strconv.Itoa(r.StatusCode)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	got := f.do("GET", "/v1/status/web", bearer(toks[0]), "")
	var st core.StatusResponse
	json.Unmarshal([]byte(got.Body), &st)
	if len(st.Deployments) != workers*each {
		t.Errorf("recorded deployments = %d, want %d", len(st.Deployments), workers*each)
	}
}

// last use is written at most once a minute per token, however many requests.
func TestLastUsed(t *testing.T) {
	toks := &memory.Tokens{}
	c := &clock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	s := New(toks, &memory.Deployments{}, &memory.Notes{})
	s.now = c.now
	tok := core.FormatAPIToken([32]byte{5})
	toks.Create(context.Background(), core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken(tok), CreatedAt: c.now()})
	h := s.Handler()
	call := func() {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("GET /v1/version = %d", rec.Code)
		}
		s.touch.wait(context.Background()) // written in the background
	}
	for range 20 {
		call()
		c.add(2 * time.Second)
	}
	if toks.Writes != 1 {
		t.Errorf("writes after 20 calls in 40s = %d, want 1", toks.Writes)
	}
	c.add(30 * time.Second)
	call()
	if toks.Writes != 2 {
		t.Errorf("writes after a call 70s after the first = %d, want 2", toks.Writes)
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	auth := bearer(f.token("ci", 0))
	tests := []struct {
		method, path string
		hdr          map[string][]string
		want         resp
	}{
		{"GET", "/", nil, resp{404, nil, errorBody("no API route GET /")}},
		{"GET", "/v2/version", nil, resp{404, nil, errorBody("no API route GET /v2/version")}},
		{"GET", "/v1/nope", auth, resp{404, nil, errorBody("no API route GET /v1/nope")}},
	}
	for _, tt := range tests {
		got := f.do(tt.method, tt.path, tt.hdr, "")
		got.Hdr = nil
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %s mismatch (-want +got):\n%s", tt.method, tt.path, diff)
		}
	}
}
