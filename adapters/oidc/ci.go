package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.CIIdentity = (*CI)(nil)

// CI gets a CI job's identity token: from GitHub Actions' token request
// endpoint, or from an environment variable. New does no I/O.
type CI struct {
	env    ports.Env
	client *http.Client
}

// NewCI returns a CI reading variables from env.
func NewCI(env ports.Env) *CI {
	return &CI{env: env, client: &http.Client{Timeout: 30 * time.Second,
		// the request token must not follow a redirect to another host
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// IdentityToken implements ports.CIIdentity.
func (c *CI) IdentityToken(ctx context.Context, src core.OIDCSource, audience string) (core.Secret, error) {
	if !src.GitHub() {
		v, ok := c.env.Lookup(src.Env)
		if !ok || strings.TrimSpace(v) == "" {
			return "", &core.Error{Kind: core.Missing, What: "no OIDC identity token in " + src.Env,
				Why: src.Env + " is not set: this is not a CI job that provides one",
				Fix: "in .gitlab-ci.yml give the job 'id_tokens: " + src.Env + ": aud: " + audience + "', or use a stored token (api_token.from.env)"}
		}
		return core.Secret(strings.TrimSpace(v)), nil
	}
	missing := func(name string) error {
		return &core.Error{Kind: core.Missing, What: "no GitHub Actions identity token",
			Why: name + " is not set: this is not a GitHub Actions job, or the job lacks the id-token permission",
			Fix: "run it in a job with 'permissions: id-token: write', or use a stored token (api_token.from.env)"}
	}
	reqURL, ok := c.env.Lookup(core.GitHubTokenURLEnv)
	if !ok || reqURL == "" {
		return "", missing(core.GitHubTokenURLEnv)
	}
	reqTok, ok := c.env.Lookup(core.GitHubTokenRequestEnv)
	if !ok || reqTok == "" {
		return "", missing(core.GitHubTokenRequestEnv)
	}
	u, err := url.Parse(reqURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
		return "", &core.Error{Kind: core.Unsafe, What: "refusing to ask for a GitHub Actions identity token",
			Why: core.GitHubTokenURLEnv + " is not an https URL, so the request token could be read on the way",
			Fix: "check the job's environment: GitHub sets this variable itself"}
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+reqTok)
	req.Header.Set("Accept", "application/json")
	unavailable := func(why string) error {
		return &core.Error{Kind: core.Unavailable, What: "cannot get the GitHub Actions identity token", Why: why,
			Fix: "re-run the job; if it persists, check the job has 'permissions: id-token: write'"}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("request GitHub Actions identity token: %w", ctx.Err())
		}
		return "", unavailable("the request failed: " + redactURLError(err, reqTok))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, core.MaxOIDCTokenBytes+4096))
	if err != nil {
		return "", unavailable("reading the answer failed")
	}
	if resp.StatusCode != http.StatusOK {
		return "", unavailable("the token endpoint answered " + resp.Status)
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Value == "" {
		return "", unavailable("the answer has no token (" + strconv.Itoa(len(body)) + " bytes)")
	}
	return core.Secret(out.Value), nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// redactURLError keeps the request token out of an error's text (url.Error
// quotes the URL, which never holds it, but be sure).
func redactURLError(err error, secret string) string {
	return strings.ReplaceAll(err.Error(), secret, "[redacted]")
}
