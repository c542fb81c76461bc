package core

import (
	"strings"
	"testing"
	"time"
)

func githubPolicy() TrustPolicy {
	return TrustPolicy{ID: 1, Provider: TrustGitHub, Issuer: GitHubIssuer, Repository: "acme/web",
		Apps: []string{"web"}, Scopes: []Scope{DefaultTrustScope}, TTL: DefaultTrustTTL}
}

func githubToken() OIDCToken {
	return OIDCToken{Issuer: GitHubIssuer, Audience: []string{"haloy:api.example.com"}, ID: "j1", Claims: map[string]string{
		"repository": "acme/web", "repository_id": "4242", "repository_owner_id": "77", "ref": "refs/heads/main",
		"environment": "production", "workflow_ref": "acme/web/.github/workflows/deploy.yml@refs/heads/main",
		"run_id": "9001", "run_attempt": "2",
	}}
}

func TestTrustPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *TrustPolicy)
		want   string // substring of the error; empty: valid
	}{
		{name: "github_ok", change: func(p *TrustPolicy) {}},
		{name: "issuer_http", change: func(p *TrustPolicy) { p.Issuer = "http://gitlab.example.com" }, want: "invalid issuer"},
		{name: "issuer_query", change: func(p *TrustPolicy) { p.Issuer = "https://x.example?a=b" }, want: "invalid issuer"},
		{name: "github_owner_audience", change: func(p *TrustPolicy) { p.Audience = "https://github.com/acme" }, want: "GitHub's default audience"},
		{name: "repository_without_owner", change: func(p *TrustPolicy) { p.Repository = "web" }, want: "invalid --repository"},
		{name: "ref_short", change: func(p *TrustPolicy) { p.Ref = "main" }, want: "invalid --ref"},
		{name: "workflow_outside", change: func(p *TrustPolicy) { p.Workflow = "deploy.yml" }, want: "invalid --workflow"},
		{name: "no_app", change: func(p *TrustPolicy) { p.Apps = nil }, want: "at least one --app"},
		{name: "no_scope", change: func(p *TrustPolicy) { p.Scopes = nil }, want: "at least one scope"},
		{name: "admin_scope", change: func(p *TrustPolicy) { p.Scopes = []Scope{ScopeAdmin} }, want: "cannot grant the admin scope"},
		{name: "bad_app", change: func(p *TrustPolicy) { p.Apps = []string{"a b"} }, want: "invalid --app"},
		{name: "ttl_over_an_hour", change: func(p *TrustPolicy) { p.TTL = 2 * time.Hour }, want: "from 1s to 1h"},
		{name: "pinned_id_not_numeric", change: func(p *TrustPolicy) { p.RepositoryID = "abc" }, want: "invalid numeric id"},
		{name: "generic_without_claims", change: func(p *TrustPolicy) { p.Provider, p.Repository = TrustOIDC, "" }, want: "at least one --claim"},
		{name: "gitlab_subgroup_ok", change: func(p *TrustPolicy) { p.Provider, p.Repository = TrustGitLab, "acme/team/web" }},
		// the exact lifetime limits, each on both sides
		{name: "ttl_1s", change: func(p *TrustPolicy) { p.TTL = time.Second }},
		{name: "ttl_under_1s", change: func(p *TrustPolicy) { p.TTL = time.Second - time.Nanosecond }, want: "from 1s to 1h"},
		{name: "ttl_1h", change: func(p *TrustPolicy) { p.TTL = time.Hour }},
		{name: "ttl_over_1h", change: func(p *TrustPolicy) { p.TTL = time.Hour + time.Nanosecond }, want: "from 1s to 1h"},
		// every digit, and the bytes either side of '0'..'9' ('/' and ':')
		{name: "pinned_ids_all_digits", change: func(p *TrustPolicy) { p.RepositoryID, p.OwnerID = "1234567890", "9876543210" }},
		{name: "pinned_id_slash", change: func(p *TrustPolicy) { p.RepositoryID = "12/" }, want: "invalid numeric id"},
		{name: "pinned_id_colon", change: func(p *TrustPolicy) { p.OwnerID = ":12" }, want: "invalid numeric id"},
		{name: "audience_ok", change: func(p *TrustPolicy) { p.Audience = "haloy:api.example.com" }},
		{name: "audience_trailing_space", change: func(p *TrustPolicy) { p.Audience = "haloy:api.example.com " }, want: "leading or trailing spaces"},
		{name: "audience_leading_space", change: func(p *TrustPolicy) { p.Audience = " haloy:api.example.com" }, want: "leading or trailing spaces"},
		{name: "gitlab_workflow", change: func(p *TrustPolicy) {
			p.Provider, p.Workflow = TrustGitLab, ".github/workflows/x.yml"
		}, want: "--workflow is for GitHub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := githubPolicy()
			tt.change(&p)
			err := p.Validate()
			if tt.want == "" && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTrustPolicyMatch(t *testing.T) {
	const def = "haloy:api.example.com"
	tests := []struct {
		name   string
		policy func(p *TrustPolicy)
		token  func(t *OIDCToken)
		want   string
	}{
		{name: "match"},
		{name: "match_all_conditions", policy: func(p *TrustPolicy) {
			p.Ref, p.Environment, p.Workflow, p.RepositoryID, p.OwnerID = "refs/heads/main", "production", ".github/workflows/deploy.yml", "4242", "77"
		}},
		{name: "issuer_differs", token: func(t *OIDCToken) { t.Issuer = GitHubIssuer + "/" }, want: "iss is"},
		{name: "audience_default_differs", token: func(t *OIDCToken) { t.Audience = []string{"haloy:other.example.com"} }, want: "aud is"},
		{name: "audience_owner_url", token: func(t *OIDCToken) { t.Audience = []string{def, "https://github.com/acme"} }, want: "default owner audience"},
		{name: "audience_override", policy: func(p *TrustPolicy) { p.Audience = "deploy-prod" }, want: `want "deploy-prod"`},
		{name: "wrong_repository", token: func(t *OIDCToken) { t.Claims["repository"] = "evil/web" }, want: `repository is "evil/web"`},
		{name: "wrong_ref", policy: func(p *TrustPolicy) { p.Ref = "refs/heads/main" },
			token: func(t *OIDCToken) { t.Claims["ref"] = "refs/heads/dev" }, want: `ref is "refs/heads/dev"`},
		{name: "wrong_environment", policy: func(p *TrustPolicy) { p.Environment = "production" },
			token: func(t *OIDCToken) { delete(t.Claims, "environment") }, want: "no environment claim"},
		{name: "wrong_workflow", policy: func(p *TrustPolicy) { p.Workflow = ".github/workflows/deploy.yml" },
			token: func(t *OIDCToken) { t.Claims["workflow_ref"] = "acme/web/.github/workflows/test.yml@refs/heads/main" }, want: "workflow_ref is"},
		{name: "recreated_repository", policy: func(p *TrustPolicy) { p.RepositoryID = "1" }, want: "pinned 1"},
		{name: "recreated_owner", policy: func(p *TrustPolicy) { p.OwnerID = "1" }, want: "repository_owner_id is 77"},
		{name: "no_repository_id", token: func(t *OIDCToken) { delete(t.Claims, "repository_id") }, want: "no numeric repository_id"},
		{name: "extra_claim", policy: func(p *TrustPolicy) { p.Claims = map[string]string{"event_name": "push"} }, want: "no event_name claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, tok := githubPolicy(), githubToken()
			if tt.policy != nil {
				tt.policy(&p)
			}
			if tt.token != nil {
				tt.token(&tok)
			}
			err := p.Match(tok, def)
			if tt.want == "" && err != nil {
				t.Fatalf("Match() = %v, want nil", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Match() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSelectPolicy(t *testing.T) {
	dev := githubPolicy()
	dev.ID, dev.Ref = 1, "refs/heads/dev"
	main := githubPolicy()
	main.ID, main.Ref = 2, "refs/heads/main"
	got, refusals := SelectPolicy([]TrustPolicy{dev, main}, githubToken(), "haloy:api.example.com")
	if got.ID != 2 || refusals != nil {
		t.Errorf("SelectPolicy = %d, %v; want policy 2", got.ID, refusals)
	}
	_, refusals = SelectPolicy([]TrustPolicy{dev}, githubToken(), "haloy:api.example.com")
	if len(refusals) != 1 || refusals[0].PolicyID != 1 || !strings.Contains(refusals[0].Reason.Error(), "ref is") {
		t.Errorf("SelectPolicy refusals = %v, want policy 1's ref", refusals)
	}
	other := githubToken()
	other.Issuer = "https://gitlab.example.com"
	_, refusals = SelectPolicy([]TrustPolicy{dev}, other, "haloy:api.example.com")
	if len(refusals) != 1 || !strings.Contains(refusals[0].Reason.Error(), "no trust policy has issuer") {
		t.Errorf("SelectPolicy refusals = %v, want no policy for the issuer", refusals)
	}
}

func TestCITokenName(t *testing.T) {
	tok := githubToken()
	name := CITokenName(githubPolicy(), tok)
	if err := CheckTokenName(name); err != nil {
		t.Fatalf("CITokenName = %q: %v", name, err)
	}
	if !strings.HasPrefix(name, "gh-acme.web-main-run9001.2-") {
		t.Errorf("CITokenName = %q, want it to start with gh-acme.web-main-run9001.2-", name)
	}
	tok2 := githubToken()
	tok2.ID = "j2"
	if n2 := CITokenName(githubPolicy(), tok2); n2 == name {
		t.Errorf("two jobs of one run got the same name %q", name)
	}
	long := githubPolicy()
	long.Repository = strings.Repeat("o", 40) + "/" + strings.Repeat("n", 90)
	tok.Claims["ref"] = "refs/heads/" + strings.Repeat("ü", 30)
	if n := CITokenName(long, tok); CheckTokenName(n) != nil {
		t.Errorf("CITokenName of a long repository = %q: %v", n, CheckTokenName(n))
	}
}

// TestCITokenNameLongest: the longest parts give a name cut to exactly the
// 64 characters a token name may have, ending in the jti's hash.
func TestCITokenNameLongest(t *testing.T) {
	p := githubPolicy()
	p.Repository = strings.Repeat("o", 20) + "/" + strings.Repeat("n", 20)
	tok := githubToken()
	tok.Claims["ref"] = "refs/heads/" + strings.Repeat("r", 20)
	tok.Claims["run_id"] = strings.Repeat("1", 20)
	full := "gh-" + strings.Repeat("o", 20) + "." + strings.Repeat("n", 7) + "-" + strings.Repeat("r", 12) + "-run" + strings.Repeat("1", 14)
	name := CITokenName(p, tok)
	tail := name[strings.LastIndexByte(name, '-'):]
	if len(name) != 64 || len(tail) != 7 || name != full[:64-7]+tail {
		t.Errorf("CITokenName = %q (%d characters), want %q + a 7-character tail (64)", name, len(name), full[:64-7])
	}
}

func TestCheckOIDCTimes(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		exp, nbf, iat time.Duration // from now; 0 with absent: see below
		noExp, noIat  bool
		want          string
	}{
		{name: "fresh", exp: 5 * time.Minute, iat: 0},
		{name: "exp_within_skew", exp: -59 * time.Second, iat: -5 * time.Minute},
		{name: "expired", exp: -60 * time.Second, iat: -5 * time.Minute, want: "expired"},
		{name: "no_exp", noExp: true, want: "no exp"},
		{name: "no_iat", exp: time.Minute, noIat: true, want: "no iat"},
		{name: "nbf_within_skew", exp: 5 * time.Minute, nbf: 59 * time.Second},
		{name: "nbf_future", exp: 5 * time.Minute, nbf: 61 * time.Second, want: "not valid before"},
		{name: "iat_future", exp: 5 * time.Minute, iat: 61 * time.Second, want: "in the future"},
		{name: "ten_minutes_old", exp: time.Hour, iat: -10 * time.Minute},
		{name: "older_than_ten_minutes", exp: time.Hour, iat: -10*time.Minute - time.Second, want: "at most 10m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, iat := now.Add(tt.exp), now.Add(tt.iat)
			var nbf time.Time
			if tt.nbf != 0 {
				nbf = now.Add(tt.nbf)
			}
			if tt.noExp {
				exp = time.Time{}
			}
			if tt.noIat {
				iat = time.Time{}
			}
			err := CheckOIDCTimes(exp, nbf, iat, now)
			if tt.want == "" && err != nil {
				t.Fatalf("CheckOIDCTimes = %v, want nil", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("CheckOIDCTimes = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseTrustTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultTrustTTL, "1h": time.Hour, "5m": 5 * time.Minute} {
		if got, err := ParseTrustTTL(in); err != nil || got != want {
			t.Errorf("ParseTrustTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"61m", "500ms", "x", "90d"} {
		if _, err := ParseTrustTTL(in); err == nil {
			t.Errorf("ParseTrustTTL(%q) = nil error, want one", in)
		}
	}
}

func TestResolveTokenOIDC(t *testing.T) {
	in := TokenInput{Server: "prod.haloy.com", Where: "haloy.yaml:4", File: "haloy.yaml",
		APIToken: &APITokenConfig{From: &ValueFrom{OIDC: &OIDCSource{Provider: "github"}}}}
	r, err := ResolveToken(in)
	if err != nil || r.Source != "OIDC (GitHub Actions)" || r.OIDC == nil || !r.Value.IsZero() {
		t.Errorf("ResolveToken(oidc: github) = %+v, %v; want the OIDC source and no value", r, err)
	}
	in.APIToken.From.OIDC = &OIDCSource{Env: "ID_TOKEN"}
	if r, _ := ResolveToken(in); r.Source != "OIDC (env ID_TOKEN)" {
		t.Errorf("ResolveToken(oidc: {env}) source = %q", r.Source)
	}
	for name, bad := range map[string]*APITokenConfig{
		"with_env":     {From: &ValueFrom{Env: "X", OIDC: &OIDCSource{Provider: "github"}}},
		"with_value":   {Value: "haloy_x", From: &ValueFrom{OIDC: &OIDCSource{Provider: "github"}}},
		"gitlab":       {From: &ValueFrom{OIDC: &OIDCSource{Provider: "gitlab"}}},
		"env_audience": {From: &ValueFrom{OIDC: &OIDCSource{Env: "X", Audience: "a"}}},
		"empty":        {From: &ValueFrom{OIDC: &OIDCSource{}}},
	} {
		in.APIToken = bad
		if _, err := ResolveToken(in); err == nil {
			t.Errorf("ResolveToken(%s) = nil error, want one", name)
		}
	}
	_, errs := ResolveEnv([]EnvVar{{Name: "DB", From: &ValueFrom{OIDC: &OIDCSource{Provider: "github"}}}},
		func(int) string { return "haloy.yaml:9" }, "haloy.yaml", nil, SecretInputs{})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "sets from.oidc") {
		t.Errorf("ResolveEnv(from.oidc) = %v, want it refused", errs)
	}
}
