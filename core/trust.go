package core

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rules of the OIDC exchange: a CI job trades its signed identity token for a
// short-lived Haloy token under a trust policy (docs/ci.md).
const (
	// MaxOIDCTokenBytes is the largest identity token the server reads; a
	// longer one is refused before it is parsed.
	MaxOIDCTokenBytes = 16 << 10
	// OIDCSkew is the clock skew allowed on exp, nbf and iat.
	OIDCSkew = 60 * time.Second
	// OIDCMaxAge is how old (by iat) an identity token may be.
	OIDCMaxAge = 10 * time.Minute
	// DefaultTrustTTL is how long a minted token lives unless the policy says.
	DefaultTrustTTL = 15 * time.Minute
	// MaxTrustTTL is the longest lifetime a policy may give a minted token.
	MaxTrustTTL = time.Hour
	// GitHubIssuer is the issuer of GitHub Actions' identity tokens.
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	// DefaultTrustScope is the scope a policy grants unless it names others.
	DefaultTrustScope = ScopeDeploy
)

// TrustProvider is the kind of CI a trust policy is for.
type TrustProvider string

// The providers 'haloyadm trust add' knows.
const (
	TrustGitHub TrustProvider = "github"
	TrustGitLab TrustProvider = "gitlab"
	TrustOIDC   TrustProvider = "oidc"
)

// TrustPolicy says which CI identities may get a token, and what that token
// may do. Every non-empty condition must hold for a token to match.
type TrustPolicy struct {
	ID       int64
	Provider TrustProvider
	// Issuer is compared exactly with the token's iss.
	Issuer string
	// Audience overrides the server's default audience (DefaultAudience).
	Audience string
	// Repository is OWNER/NAME on GitHub, GROUP/PROJECT on GitLab.
	Repository  string
	Ref         string // refs/heads/main; empty: any ref
	Environment string // empty: any environment, or none
	Workflow    string // GitHub only: .github/workflows/deploy.yml
	// Claims are further exact matches on string claims (any provider).
	Claims map[string]string
	// RepositoryID and OwnerID pin the numeric ids of the repository and its
	// owner (GitHub) or project and namespace (GitLab). Empty until given or
	// recorded at the first accepted exchange.
	RepositoryID string
	OwnerID      string
	Apps         []string
	Scopes       []Scope
	TTL          time.Duration
	CreatedAt    time.Time
}

// OIDCToken is an identity token whose signature, issuer and times the
// verifier checked. Claims holds its string, number and boolean claims as
// strings; it is what policies match against.
type OIDCToken struct {
	Issuer    string
	Subject   string
	Audience  []string
	ID        string // jti
	IssuedAt  time.Time
	Expiry    time.Time
	Claims    map[string]string
	Algorithm string
	KeyID     string
}

// DefaultAudience is the audience a CI must ask for when a policy does not
// override it: haloy:<api domain>, else haloy:<listen address>.
func DefaultAudience(apiDomain, listen string) string {
	if apiDomain != "" {
		return "haloy:" + apiDomain
	}
	return "haloy:" + listen
}

// idClaims names, per provider, the claims holding the repository's (or
// project's) numeric id and its owner's (or namespace's).
func (p TrustProvider) idClaims() (repo, owner string) {
	switch p {
	case TrustGitHub:
		return "repository_id", "repository_owner_id"
	case TrustGitLab:
		return "project_id", "namespace_id"
	}
	return "", ""
}

// repositoryClaim names the claim holding OWNER/NAME (GROUP/PROJECT).
func (p TrustProvider) repositoryClaim() string {
	switch p {
	case TrustGitHub:
		return "repository"
	case TrustGitLab:
		return "project_path"
	}
	return ""
}

// refClaim names the claim holding the full ref (refs/heads/main).
func (p TrustProvider) refClaim() string {
	switch p {
	case TrustGitHub:
		return "ref"
	case TrustGitLab:
		return "ref_path"
	}
	return ""
}

// Label names p for people: "GitHub Actions", "GitLab CI", "OIDC".
func (p TrustProvider) Label() string {
	switch p {
	case TrustGitHub:
		return "GitHub Actions"
	case TrustGitLab:
		return "GitLab CI"
	}
	return "OIDC"
}

// MinTrustTTL is the shortest lifetime a policy may give: a token must at
// least outlive the exchange's answer. Shorter than a deploy takes is the
// admin's choice (the deploy then fails with a rejected token).
const MinTrustTTL = time.Second

// ParseTrustTTL parses a --ttl value: a Go duration from MinTrustTTL to
// MaxTrustTTL; empty is DefaultTrustTTL.
func ParseTrustTTL(s string) (time.Duration, error) {
	if s == "" {
		return DefaultTrustTTL, nil
	}
	d, err := time.ParseDuration(s)
	bad := func(why string) error {
		return &Error{Kind: Invalid, What: "invalid --ttl " + strconv.Quote(s), Why: why,
			Fix: "use a Go duration from 1s to 1h, e.g. --ttl 15m (the default)"}
	}
	switch {
	case err != nil:
		return 0, bad("it is not a Go duration")
	case d < MinTrustTTL:
		return 0, bad("a minted token must live at least a second")
	case d > MaxTrustTTL:
		return 0, bad("a minted token lives at most 1h")
	}
	return d, nil
}

// Validate returns a *Error of Kind Invalid if p cannot be stored: an issuer
// that is not an https URL, a missing repository, an audience GitHub uses
// by default, a lifetime out of range, no app, or a generic policy with no
// claim to match.
func (p TrustPolicy) Validate() error {
	bad := func(what, why, fix string) error {
		return &Error{Kind: Invalid, What: what, Why: why, Fix: fix}
	}
	switch p.Provider {
	case TrustGitHub, TrustGitLab, TrustOIDC:
	default:
		return bad("unknown trust provider "+strconv.Quote(string(p.Provider)), "haloyadm trusts github, gitlab and oidc",
			"haloyadm trust add github|gitlab|oidc ...")
	}
	if err := CheckIssuer(p.Issuer); err != nil {
		return err
	}
	if p.Audience != "" && isGitHubOwnerAudience(p.Audience) {
		return bad("audience "+strconv.Quote(p.Audience)+" is refused",
			"it is GitHub's default audience, which every workflow of the owner gets without asking for this server",
			"leave --audience out (the default is haloy:<api domain>) or use one that names this server")
	}
	if p.Audience != "" && strings.TrimSpace(p.Audience) != p.Audience {
		return bad("invalid audience "+strconv.Quote(p.Audience), "it has leading or trailing spaces", "remove them")
	}
	switch p.Provider {
	case TrustGitHub:
		if !isOwnerName(p.Repository) {
			return bad("invalid --repository "+strconv.Quote(p.Repository), "a GitHub repository is OWNER/NAME",
				"--repository acme/web")
		}
		if p.Workflow != "" && !strings.HasPrefix(p.Workflow, ".github/workflows/") {
			return bad("invalid --workflow "+strconv.Quote(p.Workflow), "a workflow is a file under .github/workflows/",
				"--workflow .github/workflows/deploy.yml")
		}
	case TrustGitLab:
		if !isGroupPath(p.Repository) {
			return bad("invalid --project "+strconv.Quote(p.Repository), "a GitLab project is GROUP/PROJECT (subgroups allowed)",
				"--project acme/web")
		}
	case TrustOIDC:
		if len(p.Claims) == 0 {
			return bad("a generic OIDC policy needs at least one --claim",
				"without one, every token the issuer signs for this audience would be accepted",
				"--claim sub=<the subject your CI uses>")
		}
	}
	if p.Provider != TrustGitHub && p.Workflow != "" {
		return bad("--workflow is for GitHub policies", "other providers have no workflow_ref claim", "use --claim")
	}
	if p.Ref != "" && !strings.HasPrefix(p.Ref, "refs/") {
		return bad("invalid --ref "+strconv.Quote(p.Ref), "a ref is written in full", "--ref refs/heads/main or --ref refs/tags/v1.0.0")
	}
	for k, v := range p.Claims {
		if k == "" || v == "" {
			return bad(fmt.Sprintf("invalid --claim %q", k+"="+v), "a claim condition is NAME=VALUE, both non-empty", "--claim sub=repo:acme/web")
		}
	}
	for _, id := range []string{p.RepositoryID, p.OwnerID} {
		if id != "" && !isDigits(id) {
			return bad("invalid numeric id "+strconv.Quote(id), "repository and owner ids are numbers", "copy them from the API, or leave them out to record them at the first exchange")
		}
	}
	if len(p.Apps) == 0 {
		return bad("a trust policy needs at least one --app", "a minted token is limited to the policy's apps", "--app my-app")
	}
	for _, a := range p.Apps {
		if err := CheckDeploymentApp(a); err != nil {
			return bad("invalid --app "+strconv.Quote(a), err.Error(), "--app my-app, or --app a,b")
		}
	}
	if len(p.Scopes) == 0 {
		return bad("a trust policy needs at least one scope", "a minted token can only do what its scopes allow", "--scope deploy")
	}
	for _, s := range p.Scopes {
		if !slices.Contains(AllScopes, s) {
			return bad("unknown scope "+strconv.Quote(string(s)), "the scopes are read, deploy and admin", "--scope deploy")
		}
		if s == ScopeAdmin {
			return bad("a trust policy cannot grant the admin scope",
				"a CI job's token should deploy, not manage the server's tokens", "--scope deploy (the default) or --scope read")
		}
	}
	if p.TTL < MinTrustTTL || p.TTL > MaxTrustTTL {
		return bad("invalid token lifetime "+p.TTL.String(), "a minted token lives from 1s to 1h", "--ttl 15m")
	}
	return nil
}

// CheckIssuer returns a *Error of Kind Invalid unless iss is an https URL
// with a host, no query, fragment or user info: discovery and keys are
// fetched from it, and only over HTTPS.
func CheckIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return &Error{Kind: Invalid, What: "invalid issuer " + strconv.Quote(iss),
			Why: "an issuer is an https URL with a host and no query (discovery and keys are fetched only over HTTPS)",
			Fix: "--issuer https://gitlab.example.com"}
	}
	return nil
}

// isGitHubOwnerAudience reports whether aud is what GitHub puts in a token
// when the workflow asks for no audience: the owner's URL.
func isGitHubOwnerAudience(aud string) bool {
	return strings.HasPrefix(strings.ToLower(aud), "https://github.com/")
}

func isOwnerName(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && owner != "" && name != "" && !strings.Contains(name, "/") && !strings.ContainsAny(s, " \t\n")
}

func isGroupPath(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || strings.ContainsAny(s, " \t\n") {
		return false
	}
	return !slices.Contains(parts, "")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// EffectiveAudience is the audience p requires: its own, or def.
func (p TrustPolicy) EffectiveAudience(def string) string {
	if p.Audience != "" {
		return p.Audience
	}
	return def
}

// Match returns nil if t satisfies every condition of p, else a reason
// naming the first claim that does not (for the server log; never for the
// caller). defAudience is the server's default audience.
func (p TrustPolicy) Match(t OIDCToken, defAudience string) error {
	if t.Issuer != p.Issuer {
		return fmt.Errorf("iss is %q, the policy trusts %q", t.Issuer, p.Issuer)
	}
	aud := p.EffectiveAudience(defAudience)
	if !slices.Contains(t.Audience, aud) {
		return fmt.Errorf("aud is %q, want %q", t.Audience, aud)
	}
	for _, a := range t.Audience {
		if isGitHubOwnerAudience(a) {
			return fmt.Errorf("aud %q is GitHub's default owner audience", a)
		}
	}
	claim := func(name, want string) error {
		got, ok := t.Claims[name]
		if !ok {
			return fmt.Errorf("the token has no %s claim, want %q", name, want)
		}
		if got != want {
			return fmt.Errorf("%s is %q, want %q", name, got, want)
		}
		return nil
	}
	if c := p.Provider.repositoryClaim(); c != "" {
		if err := claim(c, p.Repository); err != nil {
			return err
		}
	}
	if p.Ref != "" {
		if err := claim(p.Provider.refClaim(), p.Ref); err != nil {
			return err
		}
	}
	if p.Environment != "" {
		if err := claim("environment", p.Environment); err != nil {
			return err
		}
	}
	if p.Workflow != "" {
		// workflow_ref is OWNER/NAME/.github/workflows/FILE@REF
		got := t.Claims["workflow_ref"]
		path, _, _ := strings.Cut(got, "@")
		if want := p.Repository + "/" + p.Workflow; path != want {
			return fmt.Errorf("workflow_ref is %q, want %q@<ref>", got, want)
		}
	}
	keys := make([]string, 0, len(p.Claims))
	for k := range p.Claims {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := claim(k, p.Claims[k]); err != nil {
			return err
		}
	}
	repoC, ownerC := p.Provider.idClaims()
	for _, pin := range []struct{ claim, want string }{{repoC, p.RepositoryID}, {ownerC, p.OwnerID}} {
		if pin.claim == "" {
			continue
		}
		got, ok := t.Claims[pin.claim]
		if !ok || !isDigits(got) {
			return fmt.Errorf("the token has no numeric %s claim", pin.claim)
		}
		if pin.want != "" && got != pin.want {
			return fmt.Errorf("%s is %s, the policy pinned %s (a deleted and re-created repository or owner?)", pin.claim, got, pin.want)
		}
	}
	return nil
}

// Grant is what a token minted under p may do.
func (p TrustPolicy) Grant() TokenGrant {
	return TokenGrant{Scopes: slices.Clone(p.Scopes), Apps: slices.Clone(p.Apps)}
}

// Pins returns the numeric ids t carries for p's provider: what the first
// accepted exchange records in a policy that has none yet.
func (p TrustPolicy) Pins(t OIDCToken) (repoID, ownerID string) {
	repoC, ownerC := p.Provider.idClaims()
	if repoC == "" {
		return "", ""
	}
	return t.Claims[repoC], t.Claims[ownerC]
}

// PolicyRefusal is one policy's reason for not matching a token.
type PolicyRefusal struct {
	PolicyID int64
	Reason   error
}

// SelectPolicy returns the first policy (lowest id) that t matches, or the
// reasons every policy of t's issuer gave. No policy at all for t's issuer
// gives a single refusal with id 0.
func SelectPolicy(policies []TrustPolicy, t OIDCToken, defAudience string) (TrustPolicy, []PolicyRefusal) {
	var refusals []PolicyRefusal
	for _, p := range policies {
		if p.Issuer != t.Issuer {
			continue
		}
		err := p.Match(t, defAudience)
		if err == nil {
			return p, nil
		}
		refusals = append(refusals, PolicyRefusal{PolicyID: p.ID, Reason: err})
	}
	if refusals == nil {
		refusals = []PolicyRefusal{{Reason: fmt.Errorf("no trust policy has issuer %q", t.Issuer)}}
	}
	return TrustPolicy{}, refusals
}

// CITokenName names the token minted for t under p after the run:
// provider, repository, ref and run, then a short hash of the jti so that two
// jobs of one run get two names. At most 64 characters (CheckTokenName).
func CITokenName(p TrustPolicy, t OIDCToken) string {
	prefix := map[TrustProvider]string{TrustGitHub: "gh", TrustGitLab: "gl"}[p.Provider]
	if prefix == "" {
		prefix = "oidc"
	}
	repo := p.Repository
	if repo == "" {
		repo = t.Subject
	}
	ref := t.Claims[p.Provider.refClaim()]
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/")
	run := t.Claims["run_id"]
	if p.Provider == TrustGitLab {
		run = t.Claims["pipeline_id"]
	}
	if a := t.Claims["run_attempt"]; a != "" && run != "" {
		run += "." + a
	}
	sum := sha256.Sum256([]byte(t.Issuer + "\x00" + t.ID))
	tail := "-" + hex.EncodeToString(sum[:3])
	clean := func(s string, max int) string {
		var b strings.Builder
		for _, c := range s {
			switch {
			case c < 0x80 && (isBase64URL(byte(c)) || c == '.'):
				b.WriteRune(c)
			default:
				b.WriteByte('.')
			}
		}
		out := b.String()
		if len(out) > max {
			out = out[:max]
		}
		return out
	}
	name := prefix + "-" + clean(repo, 28)
	if ref != "" {
		name += "-" + clean(ref, 12)
	}
	if run != "" {
		name += "-run" + clean(run, 14)
	}
	if len(name)+len(tail) > maxTokenName {
		name = name[:maxTokenName-len(tail)]
	}
	return name + tail
}

// CheckOIDCTimes applies the time rules to an identity token's exp, nbf and
// iat (zero: absent) at now: exp and iat are required, OIDCSkew is allowed
// on each, and a token issued more than OIDCMaxAge ago is refused even if
// its exp is later. The error is the reason, for the server log.
func CheckOIDCTimes(exp, nbf, iat, now time.Time) error {
	switch {
	case exp.IsZero():
		return fmt.Errorf("the token has no exp claim")
	case iat.IsZero():
		return fmt.Errorf("the token has no iat claim, so its age cannot be checked")
	case !now.Before(exp.Add(OIDCSkew)):
		return fmt.Errorf("the token expired at %s (now %s, %s of skew allowed)", stamp(exp), stamp(now), OIDCSkew)
	case !nbf.IsZero() && now.Add(OIDCSkew).Before(nbf):
		return fmt.Errorf("the token is not valid before %s (now %s, %s of skew allowed)", stamp(nbf), stamp(now), OIDCSkew)
	case now.Add(OIDCSkew).Before(iat):
		return fmt.Errorf("the token was issued in the future, at %s (now %s, %s of skew allowed)", stamp(iat), stamp(now), OIDCSkew)
	case now.Sub(iat) > OIDCMaxAge:
		return fmt.Errorf("the token was issued at %s, %s ago; at most %s is accepted", stamp(iat), now.Sub(iat).Round(time.Second), OIDCMaxAge)
	}
	return nil
}

// ReplayUntil is how long the server must remember t's jti: as long as the
// token could still be accepted.
func ReplayUntil(t OIDCToken) time.Time {
	until := t.IssuedAt.Add(OIDCMaxAge)
	if t.Expiry.Before(until) {
		until = t.Expiry
	}
	return until.Add(OIDCSkew)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// OIDCSource is api_token.from.oidc in an app config: where a CI job's
// identity token comes from, on the client side. Written "github" (the
// short form), {provider: github, audience: AUD}, or {env: NAME}.
type OIDCSource struct {
	// Provider is "github": ask GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL).
	Provider string `yaml:"provider,omitempty" json:"provider,omitempty" toml:"provider,omitempty"`
	// Env names a variable the CI filled with the token (GitLab's id_tokens).
	Env string `yaml:"env,omitempty" json:"env,omitempty" toml:"env,omitempty"`
	// Audience overrides the audience asked of GitHub; the default is
	// OIDCAudience(server).
	Audience string `yaml:"audience,omitempty" json:"audience,omitempty" toml:"audience,omitempty"`
}

// UnmarshalYAML reads the short form "github" or the mapping.
func (s *OIDCSource) UnmarshalYAML(unmarshal func(any) error) error {
	var short string
	if err := unmarshal(&short); err == nil {
		*s = OIDCSource{Provider: short}
		return nil
	}
	type plain OIDCSource
	return unmarshal((*plain)(s))
}

// GitHub reports whether the token comes from GitHub Actions.
func (s OIDCSource) GitHub() bool { return s.Provider == string(TrustGitHub) }

// Check returns a *Error of Kind Invalid unless s is exactly one of
// provider github (with an optional audience) or env NAME; where is its
// "file:line".
func (s OIDCSource) Check(where string) error {
	bad := func(why, fix string) error {
		return &Error{Kind: Invalid, What: "invalid api_token.from.oidc (" + where + ")", Why: why, Fix: fix}
	}
	switch {
	case s.Provider != "" && s.Env != "":
		return bad("provider and env exclude each other", "write oidc: github, or oidc: {env: NAME} for a token your CI put in a variable")
	case s.Provider != "" && !s.GitHub():
		return bad("unknown provider "+strconv.Quote(s.Provider)+"; haloy asks only GitHub Actions itself",
			"write oidc: github, or oidc: {env: NAME} for a token your CI put in a variable (GitLab's id_tokens)")
	case s.Env != "" && s.Audience != "":
		return bad("the audience of a token read from env is set where the CI makes it",
			"remove audience; in .gitlab-ci.yml set id_tokens: "+s.Env+": aud: haloy:<server>")
	case s.Env == "" && !s.GitHub():
		return bad("it names no source", "write oidc: github, or oidc: {env: NAME}")
	}
	return nil
}

// Label names the source for output: "OIDC (GitHub Actions)" or
// "OIDC (env GITLAB_OIDC_TOKEN)".
func (s OIDCSource) Label() string {
	if s.GitHub() {
		return "OIDC (GitHub Actions)"
	}
	return "OIDC (env " + s.Env + ")"
}

// OIDCAudience is the audience a client asks its CI for when deploying to
// server: haloy:<server>, which is the server's default audience when the
// server name is its API domain.
func OIDCAudience(server string) string { return "haloy:" + server }

// GitHub Actions' variables for requesting a job's identity token.
const (
	GitHubTokenURLEnv     = "ACTIONS_ID_TOKEN_REQUEST_URL"
	GitHubTokenRequestEnv = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// UnknownPolicy is the error for a policy id that matches none of known.
func UnknownPolicy(id int64, known []int64) error {
	why := "there are no trust policies"
	if len(known) > 0 {
		s := make([]string, len(known))
		for i, k := range known {
			s[i] = strconv.FormatInt(k, 10)
		}
		why = "known policy ids: " + strings.Join(s, ", ")
	}
	return &Error{Kind: NotFound, What: "unknown trust policy " + strconv.FormatInt(id, 10), Why: why,
		Fix: "run 'haloyadm trust list' for ids"}
}

// ExchangeRequest is an identity token presented to the exchange, with the
// address the server listens on (the default audience when haloyadm has no
// API domain).
type ExchangeRequest struct {
	Token  Secret
	Listen string
}

// IdentityRefused is the error for a server that refused a CI identity at
// the exchange. The server does not say why (its log does).
func IdentityRefused(server string) *Error {
	return &Error{Kind: Unauthorized, What: "server " + strconv.Quote(server) + " refused the CI identity token",
		Why: "no trust policy there accepts it, or it was replayed or too old; haloyadm serve's log on the server says which rule failed",
		Fix: "on the server: haloyadm trust list (repository, ref, environment, audience " + OIDCAudience(server) + " by default); see docs/ci.md"}
}

// OIDCActor is who made a token an OIDC exchange minted: the trust policy
// that accepted the identity and the identity's subject, e.g.
// `oidc policy 1 (GitHub Actions): sub "repo:o/r:ref:refs/heads/main"`.
func OIDCActor(p TrustPolicy, t OIDCToken) string {
	return "oidc policy " + strconv.FormatInt(p.ID, 10) + " (" + p.Provider.Label() + "): sub " + strconv.Quote(t.Subject)
}
