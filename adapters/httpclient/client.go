// Package httpclient calls a Haloy server's API over HTTP(S): the client
// side of core/api.go. It sends the token only where it belongs: with
// /v1/ calls, to the server it was meant for, over HTTPS unless the server is
// localhost, 127.0.0.1 or ::1, and never along a redirect to another host.
package httpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var (
	_ ports.ServerAPI = (*Client)(nil)
	_ ports.TokenAPI  = (*Client)(nil)
)

// Timeouts bound each phase of a call.
type Timeouts struct {
	// Connect bounds the TCP connection, DNS lookup included.
	Connect time.Duration
	// TLSHandshake bounds the TLS handshake.
	TLSHandshake time.Duration
	// Response bounds the wait for the response headers once the request is sent.
	Response time.Duration
	// Total bounds the whole call, redirects and the body included.
	Total time.Duration
}

// DefaultTimeouts are the timeouts of New.
var DefaultTimeouts = Timeouts{Connect: 10 * time.Second, TLSHandshake: 10 * time.Second, Response: 60 * time.Second, Total: 90 * time.Second}

// maxBody caps what is read of an answer: Haloy's answers are small.
const maxBody = 8 << 20

// maxRedirects caps the redirects followed within one server.
const maxRedirects = 5

// Client is the ServerAPI over HTTP(S). It is safe for concurrent use and
// keeps connections to a server open across calls. New does no I/O; a CA
// file is read on the first call that needs it.
type Client struct {
	// Timeouts bound each call; change them before the first call only.
	Timeouts Timeouts
	// MaxRetryWait is the longest Retry-After that a 429 answer is waited
	// out (once, then the call is retried); a longer one is an error that
	// says how long to wait.
	MaxRetryWait time.Duration
	// UserAgent is sent with every call.
	UserAgent string
	// StreamIdle is how long a log stream may stay silent before it counts
	// as dropped; 0 means DefaultStreamIdle.
	StreamIdle time.Duration

	notes ports.Notifier
	after func(time.Duration) <-chan time.Time // time.After; tests replace it

	mu    sync.Mutex
	plain *http.Transport            // localhost, 127.0.0.1, ::1
	tls   map[string]*http.Transport // by CA file path; "" means the system roots
}

// New returns a Client that tells notes when it waits out a rate limit.
func New(notes ports.Notifier) *Client {
	return &Client{
		Timeouts:     DefaultTimeouts,
		MaxRetryWait: 10 * time.Second,
		UserAgent:    "haloy",
		notes:        notes,
		after:        time.After,
		tls:          map[string]*http.Transport{},
	}
}

// CloseIdleConnections closes the connections kept open for later calls.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.plain != nil {
		c.plain.CloseIdleConnections()
	}
	for _, tr := range c.tls {
		tr.CloseIdleConnections()
	}
}

// Health calls GET /health, without a token.
func (c *Client) Health(ctx context.Context, ep core.Endpoint) (core.HealthResponse, error) {
	var out core.HealthResponse
	ep.Token = ""
	err := c.call(ctx, ep, http.MethodGet, "/health", nil, &out, "health check of "+strconv.Quote(ep.Server))
	return out, err
}

// Version calls GET /v1/version with ep's token.
func (c *Client) Version(ctx context.Context, ep core.Endpoint) (core.VersionResponse, error) {
	var out core.VersionResponse
	err := c.call(ctx, ep, http.MethodGet, "/v1/version", nil, &out, "version check of "+strconv.Quote(ep.Server))
	return out, err
}

// Deploy calls POST /v1/deploy with ep's token. Haloy's server answers
// 202 with no body; haloyadm serve's body, if any, is not needed.
func (c *Client) Deploy(ctx context.Context, ep core.Endpoint, r core.DeployRequest) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode deployment: %w", err)
	}
	what := fmt.Sprintf("deploy of app %q to %q", r.TargetConfig.Name, ep.Server)
	return c.call(ctx, ep, http.MethodPost, "/v1/deploy", body, nil, what)
}

// Status calls GET /v1/status/{app} with ep's token.
func (c *Client) Status(ctx context.Context, ep core.Endpoint, app string) (core.StatusResponse, error) {
	var out core.StatusResponse
	what := fmt.Sprintf("status of app %q on %q", app, ep.Server)
	err := c.call(ctx, ep, http.MethodGet, "/v1/status/"+url.PathEscape(app), nil, &out, what)
	return out, err
}

// ExchangeOIDC calls POST /v1/oidc/token with a CI job's identity token in
// the body and no API token. A 401 is the server refusing the identity.
func (c *Client) ExchangeOIDC(ctx context.Context, ep core.Endpoint, identity core.Secret) (core.OIDCExchangeResponse, error) {
	var out core.OIDCExchangeResponse
	ep.Token = ""
	body, err := json.Marshal(core.OIDCExchangeRequest{Token: identity.Reveal()})
	if err != nil {
		return out, fmt.Errorf("encode identity token request: %w", err)
	}
	err = c.call(ctx, ep, http.MethodPost, "/v1/oidc/token", body, &out, "exchange of the CI identity at "+strconv.Quote(ep.Server))
	var ce *core.Error
	if errors.As(err, &ce) && ce.Kind == core.Unauthorized {
		return core.OIDCExchangeResponse{}, core.IdentityRefused(ep.Server)
	}
	if err == nil && !core.LooksLikeAPIToken(out.Token) {
		return core.OIDCExchangeResponse{}, &core.Error{Kind: core.Unavailable, What: "exchange of the CI identity at " + strconv.Quote(ep.Server) + " failed",
			Why: "the answer holds no API token", Fix: "check that " + ep.Server + " runs haloyadm serve"}
	}
	return out, err
}

// RotateToken calls POST /v1/token/rotate with ep's token.
func (c *Client) RotateToken(ctx context.Context, ep core.Endpoint) (core.IssuedTokenResponse, error) {
	var out core.IssuedTokenResponse
	err := c.call(ctx, ep, http.MethodPost, "/v1/token/rotate", nil, &out, "rotation of the token of "+strconv.Quote(ep.Server))
	return out, err
}

// RevokeSelf calls POST /v1/token/revoke with ep's token.
func (c *Client) RevokeSelf(ctx context.Context, ep core.Endpoint) (core.RevokedTokenResponse, error) {
	var out core.RevokedTokenResponse
	err := c.call(ctx, ep, http.MethodPost, "/v1/token/revoke", nil, &out, "revocation of the token of "+strconv.Quote(ep.Server))
	return out, err
}

// CreateToken calls POST /v1/tokens with ep's token.
func (c *Client) CreateToken(ctx context.Context, ep core.Endpoint, req core.CreateTokenRequest) (core.IssuedTokenResponse, error) {
	var out core.IssuedTokenResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, fmt.Errorf("encode token request: %w", err)
	}
	err = c.call(ctx, ep, http.MethodPost, "/v1/tokens", body, &out, "token creation on "+strconv.Quote(ep.Server))
	return out, err
}

// ListTokens calls GET /v1/tokens with ep's token.
func (c *Client) ListTokens(ctx context.Context, ep core.Endpoint) ([]core.TokenInfo, error) {
	var out []core.TokenInfo
	err := c.call(ctx, ep, http.MethodGet, "/v1/tokens", nil, &out, "token list of "+strconv.Quote(ep.Server))
	return out, err
}

// RevokeToken calls DELETE /v1/tokens/{ref} with ep's token.
func (c *Client) RevokeToken(ctx context.Context, ep core.Endpoint, ref string) (core.RevokedTokenResponse, error) {
	var out core.RevokedTokenResponse
	err := c.call(ctx, ep, http.MethodDelete, "/v1/tokens/"+url.PathEscape(ref), nil, &out, fmt.Sprintf("revocation of token %q on %q", ref, ep.Server))
	return out, err
}

// call sends one request (see send) and decodes a 2xx answer into out; a
// nil out ignores the body.
func (c *Client) call(ctx context.Context, ep core.Endpoint, method, path string, body []byte, out any, what string) error {
	hc, target, err := c.prepare(ep, path, c.Timeouts.Total)
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, ep, hc, method, target, body, "application/json", what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &core.Error{Kind: core.Unavailable, What: what + " failed",
			Why: "the answer was cut off: " + err.Error(), Fix: "try again", Err: err}
	}
	if out == nil {
		return nil
	}
	// answers that keep the token's expiry get it from its header
	if x, ok := out.(interface{ SetTokenExpires(*time.Time) }); ok {
		if t, err := time.Parse(time.RFC3339, resp.Header.Get(core.HeaderTokenExpires)); err == nil {
			x.SetTokenExpires(&t)
		}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &core.Error{Kind: core.Unavailable, What: what + " failed",
			Why: fmt.Sprintf("%s answered %d with something that is not Haloy's API (%s)", resp.Request.URL.Redacted(), resp.StatusCode, contentType(resp)),
			Fix: "check that " + ep.Server + " runs haloyd or haloyadm serve, and not another web server", Err: err}
	}
	return nil
}

// prepare returns the HTTP client for ep (total bounds a whole call; 0
// for none) and the URL of path on it.
func (c *Client) prepare(ep core.Endpoint, path string, total time.Duration) (*http.Client, string, error) {
	base, err := url.Parse(core.BaseURL(ep.Server))
	if err != nil || base.Host == "" {
		return nil, "", &core.Error{Kind: core.Invalid, What: "invalid server name " + strconv.Quote(ep.Server),
			Why: "it does not make a URL", Fix: "haloy server list", Err: err}
	}
	hc, err := c.httpClient(ep, base, total)
	if err != nil {
		return nil, "", err
	}
	return hc, base.String() + path, nil
}

// send sends one request and, after a short 429, one retry, and returns a
// 2xx response whose body the caller reads and closes; any other answer is
// the error its status means. what names the operation in errors.
func (c *Client) send(ctx context.Context, ep core.Endpoint, hc *http.Client, method, target string, body []byte, accept, what string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("build request %s %s: %w", method, target, err)
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", c.UserAgent)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, transportError(ctx, ep, target, what, err, c.Timeouts)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		wait, retry, err := c.answer(ep, resp, what)
		if !retry || attempt > 0 || wait > c.MaxRetryWait {
			return nil, err
		}
		if c.notes != nil {
			c.notes.Info(fmt.Sprintf("%s is rate-limited; retrying in %s", ep.Server, wait))
		}
		select {
		case <-ctx.Done():
			return nil, &core.Error{Kind: core.Unavailable, What: what + " interrupted", Why: ctx.Err().Error(), Err: ctx.Err()}
		case <-c.after(wait):
		}
	}
}

// answer reads a non-2xx resp and returns the error its status means. For
// a 429 it also returns how long to wait and retry=true.
func (c *Client) answer(ep core.Endpoint, resp *http.Response, what string) (wait time.Duration, retry bool, err error) {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return 0, false, core.TokenRejected(ep)
	case code == http.StatusForbidden:
		var er core.ErrorResponse
		_ = json.Unmarshal(data, &er) // an answer not from haloyadm still gets the general message
		// names from the server are printed: keep them to what they may be
		if core.CheckTokenName(er.Token) != nil {
			er.Token = ""
		}
		if er.App != "" && core.CheckDeploymentApp(er.App) != nil {
			er.App = ""
		}
		if _, err := core.ParseScopes([]string{string(er.MissingScope)}); er.MissingScope != "" && err != nil {
			er.MissingScope = ""
		}
		return 0, false, core.TokenForbidden(ep, er, core.ParseAcceptedScopes(resp.Header.Get(core.HeaderAcceptedScopes)))
	case code == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"))
		return wait, true, &core.Error{Kind: core.Unavailable, What: what + " failed",
			Why: fmt.Sprintf("%s is rate-limiting this address (HTTP 429)", ep.Server),
			Fix: fmt.Sprintf("wait %s, then try again; check the token if it keeps happening", wait)}
	default:
		e := &core.Error{Kind: statusKind(code), What: what + " failed",
			Why: fmt.Sprintf("the server answered %d %s: %s", code, http.StatusText(code), serverMessage(data, resp.Header.Get("Content-Type"), ep.Token))}
		if code >= 500 {
			e.Fix = "look at the server's log (haloyd, or the output of haloyadm serve) on " + ep.Server + ", then try again"
		}
		return 0, false, e
	}
}

// statusKind maps an error status to the kind of failure it is for the user.
func statusKind(code int) core.Kind {
	switch code {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return core.Invalid
	case http.StatusNotFound:
		return core.NotFound
	case http.StatusConflict:
		return core.Conflict
	default:
		return core.Unavailable
	}
}

// serverMessage returns the error text of an answer, made safe to print:
// haloyadm serve's JSON error, or Haloy's plain text; one line, printable,
// short, and without the token should a server echo it.
func serverMessage(data []byte, ctype string, token core.Secret) string {
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "text/html" {
		return "no error message (an HTML page: a proxy in front of the API?)"
	}
	var er core.ErrorResponse
	msg := strings.TrimSpace(string(data))
	if err := json.Unmarshal(data, &er); err == nil && er.Error != "" {
		msg = er.Error
	}
	if msg == "" {
		return "no error message"
	}
	return core.Printable(msg, token, 300)
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return "Content-Type " + ct
	}
	return "no Content-Type"
}

// retryAfter parses a Retry-After header: seconds, or an HTTP date. A
// missing or unreadable value means one second.
func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t).Round(time.Second); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// httpClient returns a client for one call to ep: the shared transport for
// its scheme and CA, wrapped so that the token rides only on ep's own /v1/
// calls, and a redirect policy that never leaves ep's host.
func (c *Client) httpClient(ep core.Endpoint, base *url.URL, total time.Duration) (*http.Client, error) {
	tr, err := c.transport(ep, base.Scheme)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: &bearer{next: tr, token: ep.Token, scheme: base.Scheme, host: base.Host},
		Timeout:   total,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != base.Host || req.URL.Scheme != base.Scheme {
				return &core.Error{Kind: core.Unsafe,
					What: fmt.Sprintf("%s redirected %s to %s", ep.Server, via[0].URL.Path, req.URL.Redacted()),
					Why:  "haloy does not follow a redirect to another host or scheme, so that your token is never sent there",
					Fix:  "add the server under the name it redirects to: haloy server add " + req.URL.Host + " --token-stdin"}
			}
			if len(via) >= maxRedirects {
				return &core.Error{Kind: core.Unavailable, What: fmt.Sprintf("%s redirected %d times", ep.Server, len(via)),
					Why: "the redirects do not end", Fix: "check the web server or proxy in front of haloyadm serve"}
			}
			return nil
		},
	}, nil
}

// bearer adds the Authorization header to a request only when it goes to
// the endpoint's own scheme and host and to a /v1/ path: /health never gets
// it, and neither does any other host.
type bearer struct {
	next         http.RoundTripper
	token        core.Secret
	scheme, host string
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.token.IsZero() || req.URL.Host != b.host || req.URL.Scheme != b.scheme || !strings.HasPrefix(req.URL.Path, "/v1/") {
		return b.next.RoundTrip(req)
	}
	if req.URL.Scheme != "https" && !core.IsPlainHTTP(req.URL.Host) {
		// cannot happen through BaseURL; kept so that no later change can make it happen
		return nil, &core.Error{Kind: core.Unsafe, What: "refusing to send a token over plain HTTP to " + strconv.Quote(req.URL.Host),
			Why: "only localhost, 127.0.0.1 and ::1 are reached over plain HTTP", Fix: "serve the API over HTTPS"}
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+b.token.Reveal())
	return b.next.RoundTrip(r)
}

// transport returns the shared transport for a scheme and ep's CA file.
func (c *Client) transport(ep core.Endpoint, scheme string) (*http.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if scheme == "http" {
		if c.plain == nil {
			c.plain = c.newTransport(nil)
			// a plain-HTTP name that resolves to anything but loopback is refused before any byte is sent
			c.plain.DialContext = (&net.Dialer{Timeout: c.Timeouts.Connect, Control: loopbackOnly}).DialContext
		}
		return c.plain, nil
	}
	if tr, ok := c.tls[ep.CACert]; ok {
		return tr, nil
	}
	var roots *x509.CertPool // nil: the system roots, which honour SSL_CERT_FILE and SSL_CERT_DIR
	if ep.CACert != "" {
		var err error
		if roots, err = loadCA(ep); err != nil {
			return nil, err
		}
	}
	tr := c.newTransport(roots)
	c.tls[ep.CACert] = tr
	return tr, nil
}

func (c *Client) newTransport(roots *x509.CertPool) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: c.Timeouts.Connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   c.Timeouts.TLSHandshake,
		ResponseHeaderTimeout: c.Timeouts.Response,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
}

// loadCA reads the endpoint's CA file into a pool of its own: the server's
// certificate must chain to one of those certificates.
func loadCA(ep core.Endpoint) (*x509.CertPool, error) {
	pem, err := os.ReadFile(ep.CACert)
	if err != nil {
		return nil, &core.Error{Kind: core.Missing, What: "cannot read the CA file of " + strconv.Quote(ep.Server),
			Why: err.Error(), Fix: "haloy server add " + ep.Server + " --force --ca-cert <file> --token-stdin", Err: err}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &core.Error{Kind: core.Invalid, What: "no certificate in the CA file of " + strconv.Quote(ep.Server),
			Why: strconv.Quote(ep.CACert) + " holds no PEM certificate", Fix: "haloy server add " + ep.Server + " --force --ca-cert <file> --token-stdin"}
	}
	return pool, nil
}

// loopbackOnly is a net.Dialer Control function that refuses any address
// that is not loopback, after DNS resolution.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &core.Error{Kind: core.Unsafe, What: "refusing to use plain HTTP to " + host,
		Why: "a server named localhost, 127.0.0.1 or ::1 resolved to " + host + ", which is not a loopback address",
		Fix: "fix the localhost entry of /etc/hosts, or add the server by its public name so haloy uses HTTPS"}
}

// transportError turns a failed round trip into an error the user can act
// on: which URL, what failed, and the likely fix.
func transportError(ctx context.Context, ep core.Endpoint, target, what string, err error, t Timeouts) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	if ctx.Err() != nil {
		return &core.Error{Kind: core.Unavailable, What: what + " interrupted", Why: ctx.Err().Error(), Err: ctx.Err()}
	}
	e := &core.Error{Kind: core.Unavailable, What: fmt.Sprintf("cannot reach %q at %s", ep.Server, target), Err: err}
	host := core.ServerHost(ep.Server)
	var (
		dnsErr    *net.DNSError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		netErr    net.Error
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &dnsErr):
		e.Why = "the name " + strconv.Quote(host) + " does not resolve (" + dnsErr.Err + ")"
		e.Fix = "check the server name (haloy server list) and your DNS"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Why = "the connection was refused: nothing listens there"
		e.Fix = "start the API on the server (haloyadm serve), and check the port and firewall"
	case errors.As(err, &unknownCA):
		e.Why = "its TLS certificate is signed by an authority this machine does not trust"
		e.Fix = "haloy server add " + ep.Server + " --force --ca-cert <ca.pem> --token-stdin, or set SSL_CERT_FILE"
		if ep.CACert != "" {
			e.Why = "its TLS certificate does not chain to the CA file " + strconv.Quote(ep.CACert)
			e.Fix = "haloy server add " + ep.Server + " --force --ca-cert <the right ca.pem> --token-stdin"
		}
	case errors.As(err, &hostErr):
		e.Why = "its TLS certificate is not valid for " + strconv.Quote(host) + ": " + hostErr.Error()
		e.Fix = "serve a certificate for " + host + " (haloyadm serve --tls-cert), or add the server by a name its certificate has"
	case errors.As(err, &invalid):
		e.Why = "its TLS certificate is not valid: " + invalid.Error()
		e.Fix = "renew the server's certificate"
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.Why = "it answered plain HTTP where haloy expects HTTPS"
		e.Fix = "serve the API with TLS (haloyadm serve --tls-cert F --tls-key F) or behind a TLS proxy"
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		e.Why = fmt.Sprintf("the TLS handshake did not finish within %s", t.TLSHandshake)
		e.Fix = "check that the port serves HTTPS and that the server is not overloaded"
	case errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout():
		e.Why = fmt.Sprintf("no connection within %s", t.Connect)
		e.Fix = "check the server name, that the server is up, and that no firewall drops the port"
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Why = fmt.Sprintf("no answer in time (%s)", err)
		e.Fix = "try again; if it persists, look at the output of haloyadm serve on " + ep.Server
	default:
		e.Why = err.Error()
		e.Fix = "check the server name (haloy server list) and that haloyadm serve runs there"
	}
	return e
}
