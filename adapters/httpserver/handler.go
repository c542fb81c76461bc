package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// The one answer to every authentication failure: it does not say whether
// the token was missing, malformed, unknown, revoked or expired.
const unauthorizedMsg = "authentication required: send a valid API token as 'Authorization: Bearer <token>'"

type (
	ctxKey    struct{}
	parsedKey struct{}
)

// authed is what authentication leaves in a request's context: the token's
// record, and its hash to look it up again while a stream runs.
type authed struct {
	rec  core.TokenRecord
	hash core.TokenHash
}

// Route is one API route: its pattern, the scope a token needs for it, how
// to find the app it touches, and its handler. Every /v1/ route is in
// Routes, and nothing but the authorize middleware checks scopes or apps:
// a handler runs only once its token was allowed.
type Route struct {
	// Pattern is the net/http pattern, e.g. "GET /v1/status/{app}".
	Pattern string
	// Scope is the scope the route needs; every token holds read.
	Scope core.Scope
	// App finds the app the request touches, before the handler runs;
	// nil for a route that touches no app. See AppFinder.
	App    AppFinder
	handle http.HandlerFunc
}

// AppFinder returns the app a request touches, and optionally what it
// parsed to find it (a request body), which the handler gets with
// parsedBody. A non-nil *apiError is answered as it is (a 400, 413 or
// 415): the request was bad before any question of permission. An app of
// "" is refused.
type AppFinder func(r *http.Request) (app string, parsed any, fail *apiError)

// apiError is an answer a route gives instead of running.
type apiError struct {
	code int
	msg  string
}

// appFromPath finds the app in the path wildcard name.
func appFromPath(name string) AppFinder {
	return func(r *http.Request) (string, any, *apiError) {
		app := r.PathValue(name)
		if err := core.CheckDeploymentApp(app); err != nil {
			return "", nil, &apiError{http.StatusBadRequest, err.Error()}
		}
		return app, nil, nil
	}
}

// Routes returns the route table: each /v1/ route with the scope it needs
// and where its app is.
func (s *Server) Routes() []Route {
	routes := []Route{
		{Pattern: "GET /v1/version", Scope: core.ScopeRead, handle: s.handleVersion},
		{Pattern: "POST /v1/deploy", Scope: core.ScopeDeploy, App: deploymentApp, handle: s.handleDeploy},
		{Pattern: "GET /v1/deploy/{id}/logs", Scope: core.ScopeRead, App: s.logApp, handle: s.handleDeployLogs},
		{Pattern: "GET /v1/status/{app}", Scope: core.ScopeRead, App: appFromPath("app"), handle: s.handleStatus},
	}
	if s.admin != nil {
		routes = append(routes,
			// every token may replace or end itself: read is the least scope
			Route{Pattern: "POST /v1/token/rotate", Scope: core.ScopeRead, handle: s.handleRotateSelf},
			Route{Pattern: "POST /v1/token/revoke", Scope: core.ScopeRead, handle: s.handleRevokeSelf},
			Route{Pattern: "GET /v1/tokens", Scope: core.ScopeAdmin, handle: s.handleListTokens},
			Route{Pattern: "POST /v1/tokens", Scope: core.ScopeAdmin, handle: s.handleCreateToken},
			Route{Pattern: "DELETE /v1/tokens/{ref}", Scope: core.ScopeAdmin, handle: s.handleRevokeToken},
		)
	}
	return routes
}

// Handler returns the API's routes behind the security headers.
func (s *Server) Handler() http.Handler {
	v1 := http.NewServeMux()
	for _, rt := range s.Routes() {
		v1.Handle(rt.Pattern, s.authorize(rt))
	}
	v1.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API route "+r.Method+" "+r.URL.Path)
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleHealth)
	if s.exchange != nil {
		// no bearer token: the identity token in the body is the credential,
		// and every refusal counts as a failed authentication
		mux.HandleFunc(ExchangePattern, s.handleExchange)
	}
	// authentication comes before routing, so that without a token every
	// /v1/ path looks the same and no route can be probed
	mux.Handle("/v1/", s.authenticate(v1, v1))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API route "+r.Method+" "+r.URL.Path)
	})
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate admits requests with a valid token. Every failure does the
// same work (parse, hash, one lookup) and gets the same 401.
func (s *Server) authenticate(next http.Handler, routes *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := s.clientIP(r)
		key, wait := s.fails.begin(ip, s.now)
		if wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed authentication attempts from %s; retry in %d seconds", ip, secs))
			return
		}
		now := s.now()
		rec, hash, reason, err := s.check(r, now)
		// the check is over: end it before the route runs, failed or not
		s.fails.end(key, err == nil && reason != "", now)
		if errors.Is(err, ports.ErrStoreGone) {
			s.storeGone(err)
			writeError(w, http.StatusServiceUnavailable, "the server cannot check tokens now; see the server's log")
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if reason != "" {
			s.lines.info("auth failures", fmt.Sprintf("auth failure: time=%s ip=%s route=%q reason=%s",
				now.UTC().Format(time.RFC3339), ip, routeOf(routes, r), reason))
			w.Header().Set("WWW-Authenticate", `Bearer realm="haloy"`)
			writeError(w, http.StatusUnauthorized, unauthorizedMsg)
			return
		}
		if !rec.ExpiresAt.IsZero() {
			w.Header().Set(core.HeaderTokenExpires, rec.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if rec.NeedsTouch(now) {
			s.touch.add(rec, now) // in the background: a request never waits for a write
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, authed{rec, hash})))
	})
}

// routeOf names r's route for the log: its pattern
// ("GET /v1/status/{app}"), never the path, which may hold anything a
// client typed (a token without its prefix, pasted by mistake).
func routeOf(routes *http.ServeMux, r *http.Request) string {
	if _, pattern := routes.Handler(r); pattern != "" && pattern != "/v1/" {
		return pattern
	}
	switch r.Method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return r.Method + " (no such route)"
	}
	return "(no such route)"
}

// authorize is the one place scopes and apps are checked: it runs route
// rt's handler only if the caller's token holds rt's scope and is for the
// app the request touches. A refusal is a 403 naming the token and what it
// lacks, with the accepted scopes in Haloy-Accepted-Scopes; it does not
// count as a failed authentication (the token is valid). Every decision is
// logged with the token's name and id, the scope and the app.
func (s *Server) authorize(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := caller(r)
		var (
			app    string
			parsed any
		)
		// a token without the scope is refused before its request is read
		if rt.App != nil && tok.Grant.Allows(rt.Scope) {
			var fail *apiError
			app, parsed, fail = rt.App(r)
			if fail == nil && app == "" {
				fail = &apiError{http.StatusBadRequest, "the request names no app"}
			}
			if fail != nil {
				writeError(w, fail.code, fail.msg)
				return
			}
			// reading the request may have taken seconds (a slow upload):
			// a token revoked or expired meanwhile must not act on it
			if !s.recheck(w, r, rt.Pattern) {
				return
			}
		} else if r.Body != nil && r.Body != http.NoBody && tok.Grant.Allows(rt.Scope) {
			// a route that reads its own body (POST /v1/tokens) gets it read
			// here, so that the same recheck comes after it
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
			switch {
			case err != nil:
				writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
				return
			case len(body) > MaxBodyBytes:
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !s.recheck(w, r, rt.Pattern) {
				return
			}
		}
		ref := core.Authorize(tok.Name, tok.Grant, rt.Scope, app)
		decision := "allowed"
		if ref.Refused() {
			decision = "refused: " + ref.Message()
		}
		s.notes.Info(decisionLine(r.Method+" "+redactTokens(r.URL.Path), tok, rt.Scope, app, decision))
		if ref.Refused() {
			w.Header().Set(core.HeaderAcceptedScopes, core.JoinScopes(core.AcceptedScopes(rt.Scope)))
			writeJSON(w, http.StatusForbidden, core.ErrorResponse{Error: ref.Message(), Token: ref.Token, MissingScope: ref.Need, App: ref.App})
			return
		}
		if parsed != nil {
			r = r.WithContext(context.WithValue(r.Context(), parsedKey{}, parsed))
		}
		rt.handle(w, r)
	})
}

// decisionLine is the log line of an authorization decision:
//
//	api: GET /v1/version token="ci" id=3 scope=read app="" allowed
//
// (built without fmt: it is written for every API call).
func decisionLine(route string, tok core.TokenRecord, scope core.Scope, app, decision string) string {
	var b strings.Builder // one allocation: String does not copy
	b.Grow(64 + len(route) + len(tok.Name) + len(app) + len(decision))
	var num [24]byte
	b.WriteString("api: ")
	b.WriteString(route)
	b.WriteString(" token=")
	writeQuoted(&b, num[:0], tok.Name)
	b.WriteString(" id=")
	b.Write(strconv.AppendInt(num[:0], tok.ID, 10))
	b.WriteString(" scope=")
	b.WriteString(string(scope))
	b.WriteString(" app=")
	writeQuoted(&b, num[:0], app)
	b.WriteByte(' ')
	b.WriteString(decision)
	return b.String()
}

// writeQuoted writes s as strconv.Quote does: as it is, between double
// quotes, when it is printable ASCII without quotes or backslashes (token
// and app names always are), else through strconv.AppendQuote into buf.
func writeQuoted(b *strings.Builder, buf []byte, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			b.Write(strconv.AppendQuote(buf, s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// recheck checks r's token again, after its body was read, and answers
// 401 (or 503, 500) and false if it is no longer valid; the failure is
// logged like any other.
func (s *Server) recheck(w http.ResponseWriter, r *http.Request, pattern string) bool {
	now := s.now()
	_, _, reason, err := s.check(r, now)
	switch {
	case errors.Is(err, ports.ErrStoreGone):
		s.storeGone(err)
		writeError(w, http.StatusServiceUnavailable, "the server cannot check tokens now; see the server's log")
		return false
	case err != nil:
		s.internalError(w, r, err)
		return false
	case reason != "":
		s.lines.info("auth failures", fmt.Sprintf("auth failure: time=%s ip=%s route=%q reason=%s (while its request was arriving)",
			now.UTC().Format(time.RFC3339), s.clientIP(r), pattern, reason))
		w.Header().Set("WWW-Authenticate", `Bearer realm="haloy"`)
		writeError(w, http.StatusUnauthorized, unauthorizedMsg)
		return false
	}
	return true
}

// parsedBody returns what the route's AppFinder parsed of r.
func parsedBody(r *http.Request) any { return r.Context().Value(parsedKey{}) }

// check finds the token of r and returns it, or why it is refused (for the
// log only). An error is the store's failure, not the caller's.
func (s *Server) check(r *http.Request, now time.Time) (core.TokenRecord, core.TokenHash, string, error) {
	values := r.Header.Values("Authorization")
	var reason, tok string
	switch len(values) {
	case 0:
		reason = "missing"
	case 1:
		var ok bool
		if tok, ok = core.ParseBearer(values[0]); !ok || !core.LooksLikeAPIToken(tok) {
			reason = "malformed"
		}
	default:
		reason = "malformed"
	}
	// hash and look up even a missing token, so that every case costs the same
	hash := core.HashAPIToken(tok)
	rec, found, err := s.tokens.Lookup(r.Context(), hash)
	if err != nil {
		return core.TokenRecord{}, hash, "", err
	}
	if reason == "" {
		switch {
		case !found:
			reason = "unknown token"
		case rec.Status(now) == core.TokenRevoked:
			reason = "revoked token " + strconv.Quote(rec.Name)
		case rec.Status(now) == core.TokenExpired:
			reason = "expired token " + strconv.Quote(rec.Name)
		}
	}
	return rec, hash, reason, nil
}

func caller(r *http.Request) core.TokenRecord {
	a, _ := r.Context().Value(ctxKey{}).(authed)
	return a.rec
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, core.HealthResponse{Status: "ok", Service: "haloyd", Version: s.version})
}

// deploymentApp reads and checks a deployment body, Haloy's DeployRequest,
// and finds its app.
func deploymentApp(r *http.Request) (string, any, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return "", nil, &apiError{http.StatusUnsupportedMediaType, "the deployment must be JSON (Content-Type: application/json), not " + strconv.Quote(ct)}
		}
	}
	// read the whole body first, so that an oversized one is always a 413,
	// whatever its first bytes are
	tooBigMsg := fmt.Sprintf("the deployment is larger than %d bytes", MaxBodyBytes)
	if r.ContentLength > MaxBodyBytes {
		return "", nil, &apiError{http.StatusRequestEntityTooLarge, tooBigMsg}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	switch {
	case err != nil:
		return "", nil, &apiError{http.StatusBadRequest, "cannot read the request body: " + err.Error()}
	case len(body) > MaxBodyBytes:
		return "", nil, &apiError{http.StatusRequestEntityTooLarge, tooBigMsg}
	case len(bytes.TrimSpace(body)) == 0:
		return "", nil, &apiError{http.StatusBadRequest, "invalid deployment: the request body is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req core.DeployRequest
	err = dec.Decode(&req)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		// encoding/json's errors name fields and types, never the values
		return "", nil, &apiError{http.StatusBadRequest, "invalid deployment JSON: " + err.Error()}
	}
	// the client's own check: both sides refuse the same requests
	if err := core.CheckDeployRequest(req); err != nil {
		return "", nil, &apiError{http.StatusBadRequest, err.Error()}
	}
	return req.TargetConfig.Name, req, nil
}

// handleDeploy accepts Haloy's DeployRequest: it validates it with the
// client's own check, records it (env names, never values), logs its
// progress for GET /v1/deploy/{id}/logs, and answers 202 with no body, as
// Haloy's server does.
func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	req := parsedBody(r).(core.DeployRequest)
	tok := caller(r)
	d := req.Deployment("")
	// logged once its id is known to be new: a duplicate must not add to
	// the earlier deployment's log
	received := s.entry(d, "INFO", "deployment received (token "+strconv.Quote(tok.Name)+")")
	rec := core.DeploymentRecord{Deployment: d, TokenID: tok.ID, TokenName: tok.Name, ReceivedAt: s.now().UTC()}
	if err := s.deploys.Record(r.Context(), rec); err != nil {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Kind == core.Conflict {
			// the earlier deployment with this id keeps its log
			writeError(w, http.StatusConflict, ce.Error())
			return
		}
		if errors.As(err, &ce) && ce.Kind == core.Invalid {
			writeError(w, http.StatusRequestEntityTooLarge, ce.Error()) // over the record cap
			return
		}
		s.logs.publish(received)
		fail := s.entry(d, "ERROR", "deployment failed: it could not be recorded")
		fail.Fields = map[string]any{"error": "internal server error; see the server's log"}
		fail.IsDeploymentComplete, fail.IsDeploymentFailed = true, true
		s.logs.publish(fail)
		s.internalError(w, r, err)
		return
	}
	s.logs.publish(received)
	s.logs.publish(s.entry(d, "INFO", "deployment recorded"))
	done := s.entry(d, "INFO", "deployment complete: recorded; haloyadm serve runs no containers")
	done.IsDeploymentComplete, done.IsDeploymentSuccess = true, true
	s.logs.publish(done)
	s.notes.Info(fmt.Sprintf("deployment %s of app %q recorded (token %q)", d.ID, d.App, tok.Name))
	w.WriteHeader(http.StatusAccepted)
}

// entry is a log entry of deployment d.
func (s *Server) entry(d core.Deployment, level, msg string) core.LogEntry {
	e := core.LogEntry{Level: level, Message: msg, Timestamp: s.now().UTC(), DeploymentID: d.ID, AppName: d.App}
	for _, dom := range d.Domains {
		e.Domains = append(e.Domains, dom.Domain)
	}
	return e
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app") // checked by its AppFinder
	recs, err := s.deploys.History(r.Context(), app)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(recs) == 0 {
		writeError(w, http.StatusNotFound, "unknown app "+strconv.Quote(app)+": no deployment of it is recorded")
		return
	}
	// Haloy's shape for the newest deployment; haloyadm serve runs no
	// containers, so the state says the deployment is recorded
	newest := recs[0]
	writeJSON(w, http.StatusOK, core.StatusResponse{State: "recorded", DeploymentID: newest.ID, ContainerIDs: []string{},
		Domains: append([]core.Domain{}, newest.Domains...), App: app, Deployments: recs})
}

// logApp is the AppFinder of a deployment's log: the app of the
// deployment, from its log in memory or its record.
func (s *Server) logApp(r *http.Request) (string, any, *apiError) {
	id := r.PathValue("id")
	if !core.IsDeploymentID(id) {
		return "", nil, &apiError{http.StatusBadRequest, "invalid deployment id " + strconv.Quote(redactTokens(id)) + ": it is a ULID in lower case"}
	}
	if app, ok := s.logs.app(id); ok {
		return app, nil, nil
	}
	rec, found, err := s.deploys.Find(r.Context(), id)
	switch {
	case err != nil:
		s.notes.Warn(fmt.Sprintf("%s %s: %v", r.Method, redactTokens(r.URL.Path), err))
		return "", nil, &apiError{http.StatusInternalServerError, "internal server error; see the server's log"}
	case !found:
		return "", nil, &apiError{http.StatusNotFound, "unknown deployment " + id}
	}
	return rec.App, nil, nil
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.notes.Warn(fmt.Sprintf("%s %s: %v", r.Method, redactTokens(r.URL.Path), err))
	writeError(w, http.StatusInternalServerError, "internal server error; see the server's log")
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, core.ErrorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to do
}

// tokenLike matches what could be a token haloyadm issued, or a long piece
// of one: the prefix and 12 or more base64url characters.
var tokenLike = regexp.MustCompile(core.APITokenPrefix + `[A-Za-z0-9_-]{12,}`)

// redactTokens hides token-like runs in a path before it is logged: a
// client that puts its token in the URL by mistake must not have it
// written to the server's log.
func redactTokens(path string) string {
	if !strings.Contains(path, core.APITokenPrefix) { // nearly every path: no regexp
		return path
	}
	return tokenLike.ReplaceAllString(path, core.APITokenPrefix+"[redacted]")
}
