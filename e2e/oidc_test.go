package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/oidctest"
)

// exchangeDirect posts an identity token to the server's exchange, as a CI
// script without haloy would, and returns the status and answer.
func exchangeDirect(t *testing.T, s *server, jwt string) (int, core.OIDCExchangeResponse) {
	t.Helper()
	body, _ := json.Marshal(core.OIDCExchangeRequest{Token: jwt})
	resp, err := http.Post(s.URL+"/v1/oidc/token", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out core.OIDCExchangeResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("exchange answer %q: %v", data, err)
		}
		leaks.Secret(out.Token)
	} else {
		leaks.Capture(t, "exchange answer", string(data))
	}
	return resp.StatusCode, out
}

// noTokenFiles fails t if any file under dir holds something shaped like
// an API token: the client was never given one, and must not have written
// the one it was minted.
func noTokenFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range strings.FieldsFunc(string(data), func(r rune) bool {
			return !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) {
			if i := strings.Index(f, core.APITokenPrefix); i >= 0 && core.LooksLikeAPIToken(f[i:]) {
				t.Errorf("%s holds an API token", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// call makes an API call with an API token and returns the status.
func call(t *testing.T, s *server, method, path, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// A GitHub Actions job deploys with no token stored anywhere: haloy asks the
// (fake) GitHub token endpoint for the job's identity with the server's
// audience, haloyadm serve verifies it against the (local, TLS) issuer and
// a trust policy, and mints a token for that deploy. The minted token is
// limited to the policy's app and scope, dies after its TTL, and a replayed
// identity token is refused.
func TestOIDCDeployFromGitHubActions(t *testing.T) {
	needBinary(t)
	issuer := oidctest.NewIssuer(t)
	gh := oidctest.NewGitHub(issuer)
	leaks.Secret(gh.RequestToken)
	s := startServer(t, serverOpts{Env: []string{"SSL_CERT_FILE=" + issuer.CAFile()}})
	defer func() {
		for _, jwt := range gh.Issued() {
			leaks.Secret(jwt)
		}
	}()

	if r := s.admin(t, "trust", "add", "github", "--issuer", issuer.URL, "--repository", "acme/web",
		"--ref", "refs/heads/main", "--app", "web", "--ttl", "3s"); r.code != 0 {
		t.Fatalf("trust add = exit %d\n%s", r.code, r.output())
	}

	c := newClient(t) // no 'haloy server add': no token in any file
	c.Write(t, "haloy.yaml", appYAML("web", s.Name, "api_token:\n  from:\n    oidc: github\n"))
	inCI := []string{"GITHUB_ACTIONS=true", core.GitHubTokenURLEnv + "=" + gh.URL, core.GitHubTokenRequestEnv + "=" + gh.RequestToken}

	// validate-config names the source and contacts nothing, in CI or not
	r := c.Run(t, "validate-config")
	wantExit(t, "validate-config", r, 0)
	wantIn(t, "validate-config", r.stdout, "token   OIDC (GitHub Actions)")
	if n := len(gh.Issued()); n != 0 {
		t.Errorf("validate-config asked GitHub for %d tokens, want 0", n)
	}

	// outside CI: the fix
	r = c.Run(t, "deploy")
	wantExit(t, "deploy outside CI", r, 2)
	wantIn(t, "deploy outside CI", r.stderr, "no GitHub Actions identity token", "permissions: id-token: write", "stored token")

	// in CI: deployed with the minted token
	r = c.RunIn(t, "", inCI, "deploy")
	wantExit(t, "deploy in CI", r, 0)
	if aud := gh.Audiences(); len(aud) != 1 || aud[0] != "haloy:"+s.Name {
		t.Errorf("GitHub was asked for audiences %q, want [haloy:%s]", aud, s.Name)
	}
	wantIn(t, "deploy in CI", r.output(), "identity OIDC (GitHub Actions)", "exchanged at "+s.Name+` for token "gh-acme.web-main-run9001.1-`)
	name := r.output()[strings.Index(r.output(), `for token "`)+len(`for token "`):]
	name = name[:strings.Index(name, `"`)]
	wantDeployed(t, s, "web", name, 1)
	noTokenFiles(t, c.Home) // the minted token was used, and written nowhere
	wantIn(t, "server log", s.WaitLog("oidc exchange: policy 1"), "oidc exchange: policy 1 (GitHub Actions) accepted "+issuer.URL)
	list := s.admin(t, "api", "token", "list")
	wantIn(t, "api token list", list.stdout, name, "deploy", "web", `oidc policy 1 (GitHub Actions): sub "`)
	trust := s.admin(t, "trust", "list", "--json")
	wantIn(t, "trust list", trust.stdout, `"repository_id": "4242"`, `"owner_id": "77"`)

	// the identity token cannot be replayed
	first := gh.Issued()[0]
	if code, _ := exchangeDirect(t, s, first); code != http.StatusUnauthorized {
		t.Errorf("replayed identity token = %d, want 401", code)
	}
	wantIn(t, "server log", s.WaitLog("a replay"), "already exchanged: a replay (policy 1)")

	// a fresh identity token, exchanged directly: limited to app web and
	// scope deploy, and dead after its TTL
	fresh := issuer.Sign(issuer.Claims("haloy:"+s.Name, time.Now()))
	leaks.Secret(fresh)
	code, minted := exchangeDirect(t, s, fresh)
	if code != http.StatusOK || !minted.ExpiresAt.After(time.Now()) {
		t.Fatalf("exchange = %d %+v, want 200 and a token", code, minted)
	}
	if got := call(t, s, "GET", "/v1/version", minted.Token, ""); got != http.StatusOK {
		t.Errorf("minted token on /v1/version = %d, want 200", got)
	}
	other := `{"deploymentID":"01jd0000000000000000000000","targetConfig":{"name":"api","server":"x","image":{"repository":"x"}}}`
	if got := call(t, s, "POST", "/v1/deploy", minted.Token, other); got != http.StatusForbidden {
		t.Errorf("minted token deploying another app = %d, want 403", got)
	}
	time.Sleep(time.Until(minted.ExpiresAt) + 200*time.Millisecond)
	if got := call(t, s, "GET", "/v1/version", minted.Token, ""); got != http.StatusUnauthorized {
		t.Errorf("minted token after its TTL = %d, want 401", got)
	}

	// wrong ref, untrusted issuer content, and a removed policy: refused,
	// each with its reason in the log and nothing else to the caller
	cl := issuer.Claims("haloy:"+s.Name, time.Now())
	cl["ref"] = "refs/heads/dev"
	dev := issuer.Sign(cl)
	leaks.Secret(dev)
	if code, _ := exchangeDirect(t, s, dev); code != http.StatusUnauthorized {
		t.Errorf("wrong ref = %d, want 401", code)
	}
	wantIn(t, "server log", s.WaitLog(`ref is "refs/heads/dev"`), `policy 1: ref is "refs/heads/dev", want "refs/heads/main"`)
	if r := s.admin(t, "trust", "remove", "1"); r.code != 0 {
		t.Fatalf("trust remove = exit %d\n%s", r.code, r.output())
	}
	r = c.RunIn(t, "", inCI, "deploy")
	wantExit(t, "deploy after trust remove", r, 3)
	wantIn(t, "deploy after trust remove", r.stderr, "refused the CI identity token", "haloyadm trust list")
	wantIn(t, "server log", s.WaitLog("no trust policy is configured"), "no trust policy is configured")
}

// A GitLab CI job: the CI put the identity token (with the audience the
// job asked for) in a variable, haloy reads it from there, and the server
// checks GitLab's claims and pins the project and namespace ids.
func TestOIDCDeployFromGitLabCI(t *testing.T) {
	needBinary(t)
	issuer := oidctest.NewIssuer(t) // plays https://gitlab.example.com
	s := startServer(t, serverOpts{Env: []string{"SSL_CERT_FILE=" + issuer.CAFile()}})
	if r := s.admin(t, "trust", "add", "gitlab", "--issuer", issuer.URL, "--project", "acme/team/web",
		"--ref", "refs/heads/main", "--environment", "production", "--app", "web"); r.code != 0 {
		t.Fatalf("trust add = exit %d\n%s", r.code, r.output())
	}
	now := time.Now()
	jwt := issuer.Sign(map[string]any{"iss": issuer.URL, "aud": "haloy:" + s.Name, "sub": "project_path:acme/team/web:ref_type:branch:ref:main",
		"jti": "gitlab-job-1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"project_path": "acme/team/web", "project_id": "22", "namespace_id": "8", "ref": "main", "ref_type": "branch",
		"ref_path": "refs/heads/main", "environment": "production", "pipeline_id": "501"})
	leaks.Secret(jwt)

	c := newClient(t)
	c.Write(t, "haloy.yaml", appYAML("web", s.Name, "api_token:\n  from:\n    oidc: {env: HALOY_ID_TOKEN}\n"))
	r := c.RunIn(t, "", []string{"GITLAB_CI=true", "HALOY_ID_TOKEN=" + jwt}, "deploy")
	wantExit(t, "deploy in GitLab CI", r, 0)
	wantIn(t, "deploy in GitLab CI", r.output(), "identity OIDC (env HALOY_ID_TOKEN)", `for token "gl-acme.team.web-main-run501-`)
	trust := s.admin(t, "trust", "list", "--json")
	wantIn(t, "trust list", trust.stdout, `"repository_id": "22"`, `"owner_id": "8"`)
}

// The "done when": each forged, expired, replayed, mis-addressed,
// wrong-repository, wrong-ref, wrong-algorithm or oversized identity token
// is refused by the running server with the same answer, its precise
// reason in the log, and never the token itself.
func TestOIDCRefusals(t *testing.T) {
	needBinary(t)
	issuer := oidctest.NewIssuer(t)
	s := startServer(t, serverOpts{Env: []string{"SSL_CERT_FILE=" + issuer.CAFile()}})
	if r := s.admin(t, "trust", "add", "github", "--issuer", issuer.URL, "--repository", "acme/web",
		"--ref", "refs/heads/main", "--app", "web"); r.code != 0 {
		t.Fatalf("trust add = exit %d\n%s", r.code, r.output())
	}
	aud := "haloy:" + s.Name
	claims := func(change func(map[string]any)) map[string]any {
		cl := issuer.Claims(aud, time.Now())
		if change != nil {
			change(cl)
		}
		return cl
	}
	good := issuer.Sign(claims(nil))
	leaks.Secret(good)
	code, minted := exchangeDirect(t, s, good)
	if code != http.StatusOK {
		t.Fatalf("good identity token = %d, want 200", code)
	}
	// a minted token is revocable like any other
	s.Revoke(t, minted.Name)
	if got := call(t, s, "GET", "/v1/version", minted.Token, ""); got != http.StatusUnauthorized {
		t.Errorf("revoked minted token = %d, want 401", got)
	}
	forger := issuer.NewKey("RS256")
	forger.ID = issuer.Current().ID
	none := func() string {
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		return b64(`{"alg":"none","kid":"key-1"}`) + "." + b64(`{"iss":"`+issuer.URL+`","aud":"`+aud+`"}`) + "."
	}
	tests := []struct{ name, jwt, reason string }{
		{"forged", issuer.SignWith(forger, claims(nil)), "the signature does not verify"},
		{"expired", issuer.Sign(claims(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-9*time.Minute).Unix(), time.Now().Add(-9*time.Minute).Unix(), time.Now().Add(-2*time.Minute).Unix()
		})), "the token expired at"},
		{"replayed", good, "already exchanged: a replay"},
		{"mis_addressed", issuer.Sign(claims(func(c map[string]any) { c["aud"] = "haloy:other.example.com" })), `aud is ["haloy:other.example.com"]`},
		{"wrong_repository", issuer.Sign(claims(func(c map[string]any) { c["repository"] = "evil/web" })), `repository is "evil/web"`},
		{"wrong_ref", issuer.Sign(claims(func(c map[string]any) { c["ref"] = "refs/heads/dev" })), `ref is "refs/heads/dev"`},
		{"alg_none", none(), "not a compact JWS signed with RS256 or ES256"},
		{"too_old", issuer.Sign(claims(func(c map[string]any) {
			c["iat"], c["nbf"] = time.Now().Add(-11*time.Minute).Unix(), time.Now().Add(-11*time.Minute).Unix()
		})), "at most 10m0s is accepted"},
		{"oversized", issuer.Sign(claims(func(c map[string]any) { c["pad"] = strings.Repeat("x", core.MaxOIDCTokenBytes) })), "it was not parsed"},
	}
	var bodies []string
	for _, tt := range tests {
		leaks.Secret(tt.jwt) // no output or log may hold any 12 characters of it
		body, _ := json.Marshal(core.OIDCExchangeRequest{Token: tt.jwt})
		resp, err := http.Post(s.URL+"/v1/oidc/token", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: exchange = %d %s, want 401", tt.name, resp.StatusCode, data)
		}
		bodies = append(bodies, string(data))
		wantIn(t, tt.name+": server log", s.WaitLog(tt.reason), tt.reason)
	}
	for i, b := range bodies {
		if b != bodies[0] {
			t.Errorf("%s: answer %q differs from %s's %q: a refusal must not say why", tests[i].name, b, tests[0].name, bodies[0])
		}
	}
	log := s.Log()
	for _, tt := range tests {
		if sig := tt.jwt[strings.LastIndex(tt.jwt, ".")+1:]; len(sig) >= 12 && strings.Contains(log, sig[:12]) {
			t.Errorf("%s: the server log holds the identity token's signature", tt.name)
		}
	}
}
