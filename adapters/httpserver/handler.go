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
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// The one answer to every authentication failure: it does not say whether
// the token was missing, malformed, unknown, revoked or expired.
const unauthorizedMsg = "authentication required: send a valid API token as 'Authorization: Bearer <token>'"

type ctxKey struct{}

// Handler returns the API's routes behind the security headers.
func (s *Server) Handler() http.Handler {
	v1 := http.NewServeMux()
	v1.HandleFunc("GET /v1/version", s.handleVersion)
	v1.HandleFunc("POST /v1/deploy", s.handleDeploy)
	v1.HandleFunc("GET /v1/status/{app}", s.handleStatus)
	v1.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API route "+r.Method+" "+r.URL.Path)
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleHealth)
	// authentication comes before routing, so that without a token every
	// /v1/ path looks the same and no route can be probed
	mux.Handle("/v1/", s.authenticate(v1))
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

// clientIP is the address of the peer: haloyadm does not trust
// X-Forwarded-For, which any client can set (docs/server.md).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate admits requests with a valid token. Every failure does the
// same work (parse, hash, one lookup) and gets the same 401.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		key, wait := s.fails.begin(ip, s.now)
		if wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed authentication attempts from %s; retry in %d seconds", ip, secs))
			return
		}
		now := s.now()
		rec, reason, err := s.check(r, now)
		// the check is over: end it before the route runs, failed or not
		s.fails.end(key, err == nil && reason != "", now)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if reason != "" {
			s.notes.Info(fmt.Sprintf("auth failure: time=%s ip=%s route=%q reason=%s",
				now.UTC().Format(time.RFC3339), ip, r.Method+" "+redactTokens(r.URL.Path), reason))
			w.Header().Set("WWW-Authenticate", `Bearer realm="haloy"`)
			writeError(w, http.StatusUnauthorized, unauthorizedMsg)
			return
		}
		if rec.NeedsTouch(now) {
			if err := s.tokens.Touch(r.Context(), rec.ID, now); err != nil {
				// last use is a convenience: never fail a request for it
				s.notes.Warn(fmt.Sprintf("cannot record last use of token %q: %v", rec.Name, err))
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rec)))
	})
}

// check finds the token of r and returns it, or why it is refused (for the
// log only). An error is the store's failure, not the caller's.
func (s *Server) check(r *http.Request, now time.Time) (core.TokenRecord, string, error) {
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
	rec, found, err := s.tokens.Lookup(r.Context(), core.HashAPIToken(tok))
	if err != nil {
		return core.TokenRecord{}, "", err
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
	return rec, reason, nil
}

func caller(r *http.Request) core.TokenRecord {
	rec, _ := r.Context().Value(ctxKey{}).(core.TokenRecord)
	return rec
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, core.HealthResponse{Status: "ok", Service: "haloyd", Version: s.version})
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	rec := caller(r)
	resp := core.VersionResponse{Haloyd: s.version, TokenName: rec.Name}
	if !rec.ExpiresAt.IsZero() {
		resp.TokenExpiresAt = &rec.ExpiresAt
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "the deployment must be JSON (Content-Type: application/json), not "+strconv.Quote(ct))
			return
		}
	}
	// read the whole body first, so that an oversized one is always a 413,
	// whatever its first bytes are
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the deployment is larger than %d bytes", MaxBodyBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the deployment is larger than %d bytes", MaxBodyBytes))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	case len(bytes.TrimSpace(body)) == 0:
		writeError(w, http.StatusBadRequest, "invalid deployment: the request body is empty")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var d core.Deployment
	err = dec.Decode(&d)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid deployment JSON: "+err.Error())
		return
	}
	if err := core.CheckDeployment(d); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	tok := caller(r)
	rec := core.DeploymentRecord{Deployment: d, TokenID: tok.ID, TokenName: tok.Name, ReceivedAt: s.now().UTC()}
	if err := s.deploys.Record(r.Context(), rec); err != nil {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Kind == core.Conflict {
			writeError(w, http.StatusConflict, ce.Error())
			return
		}
		s.internalError(w, r, err)
		return
	}
	s.notes.Info(fmt.Sprintf("deployment %s of app %q recorded (token %q)", d.ID, d.App, tok.Name))
	writeJSON(w, http.StatusAccepted, core.DeployResponse{DeploymentID: d.ID, Status: "accepted"})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	if err := core.CheckDeploymentApp(app); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	recs, err := s.deploys.History(r.Context(), app)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(recs) == 0 {
		writeError(w, http.StatusNotFound, "unknown app "+strconv.Quote(app)+": no deployment of it is recorded")
		return
	}
	writeJSON(w, http.StatusOK, core.StatusResponse{App: app, Deployments: recs})
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
	return tokenLike.ReplaceAllString(path, core.APITokenPrefix+"[redacted]")
}
