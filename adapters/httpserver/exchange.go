package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// ExchangePattern is the route of the OIDC exchange. It takes no bearer
// token: the identity token in its body is the credential.
const ExchangePattern = "POST /v1/oidc/token"

// exchangeRefusedMsg is the one answer to every refused exchange: it does
// not say which rule the token broke (the server's log does).
const exchangeRefusedMsg = "identity token refused; the server's log says why"

// maxExchangeBody caps the exchange's body: the largest identity token
// accepted, plus room for the JSON around it. A larger body is refused
// before it is parsed.
const maxExchangeBody = core.MaxOIDCTokenBytes + 1024

// WithExchanger makes s answer POST /v1/oidc/token with x, and returns s.
// Without it the route does not exist (and, under /v1/, needs a token).
func (s *Server) WithExchanger(x ports.TokenExchanger) *Server {
	s.exchange = x
	return s
}

// handleExchange trades an identity token for a short-lived token. Every
// refusal counts against the caller's failure budget, like a bad bearer
// token, and gets the same 401; the reason goes to the log, never the
// token.
func (s *Server) handleExchange(w http.ResponseWriter, r *http.Request) {
	ip := s.clientIP(r)
	key, wait := s.fails.begin(ip, s.now)
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed authentication attempts from %s; retry in %d seconds", ip, secs))
		return
	}
	now := s.now()
	resp, reason, err := s.exchangeBody(r)
	s.fails.end(key, err == nil && reason != "", now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if reason != "" {
		s.notes.Info(fmt.Sprintf("oidc exchange refused: time=%s ip=%s reason=%s", now.UTC().Format(time.RFC3339), ip, reason))
		writeError(w, http.StatusUnauthorized, exchangeRefusedMsg)
		return
	}
	s.notes.Info(fmt.Sprintf("oidc exchange: ip=%s minted token %q until %s", ip, resp.Name, resp.ExpiresAt.UTC().Format(time.RFC3339)))
	writeJSON(w, http.StatusOK, resp)
}

// exchangeBody reads the request and runs the exchange. It returns the
// answer, or why the caller is refused, or the server's own failure.
func (s *Server) exchangeBody(r *http.Request) (core.OIDCExchangeResponse, string, error) {
	if r.ContentLength > maxExchangeBody {
		return core.OIDCExchangeResponse{}, fmt.Sprintf("the body is %d bytes, over the limit of %d; it was not parsed", r.ContentLength, maxExchangeBody), nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxExchangeBody+1))
	if err != nil {
		return core.OIDCExchangeResponse{}, "cannot read the body: " + err.Error(), nil
	}
	if len(body) > maxExchangeBody {
		return core.OIDCExchangeResponse{}, fmt.Sprintf("the body is over the limit of %d bytes; it was not parsed", maxExchangeBody), nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req core.OIDCExchangeRequest
	err = dec.Decode(&req)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		return core.OIDCExchangeResponse{}, "the body is not {\"token\": \"<JWT>\"}: " + jsonErrText(err), nil
	}
	if req.Token == "" {
		return core.OIDCExchangeResponse{}, "the body has no token", nil
	}
	resp, err := s.exchange.Exchange(r.Context(), core.ExchangeRequest{Token: core.Secret(req.Token), Listen: s.listen})
	var ce *core.Error
	if errors.As(err, &ce) && ce.Kind == core.Unauthorized {
		return core.OIDCExchangeResponse{}, ce.Why, nil
	}
	return resp, "", err
}

// jsonErrText keeps a JSON error's kind and drops anything quoted from the
// body beyond a field name.
func jsonErrText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return "invalid JSON at byte " + strconv.FormatInt(syn.Offset, 10)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "field " + strconv.Quote(typ.Field) + " is a JSON " + typ.Value
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown field"
	}
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg
}
