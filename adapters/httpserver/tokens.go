package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/haloy-auth/haloy/core"
)

// The token routes: a token rotating or revoking itself, and an admin
// token managing every token. Their scopes are in Routes; the handlers
// check nothing of the caller's permissions.

// maxTokenRequest caps a POST /v1/tokens body; the request is a few names.
const maxTokenRequest = 64 << 10

// by names the caller for the log.
func by(tok core.TokenRecord) string {
	return "token " + strconv.Quote(tok.Name) + " (id " + strconv.FormatInt(tok.ID, 10) + ")"
}

// writeCoreError answers a use case's failure with the status its kind
// means, and its message; anything else is a 500.
func (s *Server) writeCoreError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *core.Error
	if !errors.As(err, &ce) {
		s.internalError(w, r, err)
		return
	}
	code := http.StatusInternalServerError
	switch ce.Kind {
	case core.Invalid:
		code = http.StatusBadRequest
	case core.NotFound:
		code = http.StatusNotFound
	case core.Conflict:
		code = http.StatusConflict
	case core.Unauthorized:
		code = http.StatusForbidden
	default:
		s.internalError(w, r, err)
		return
	}
	msg := ce.Error()
	if ce.Fix != "" {
		msg += " (" + ce.Fix + ")"
	}
	writeError(w, code, msg)
}

func (s *Server) handleRotateSelf(w http.ResponseWriter, r *http.Request) {
	succ, old, err := s.admin.Rotate(r.Context(), caller(r))
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	now := s.now()
	replaced := old.Info(now)
	writeJSON(w, http.StatusOK, core.IssuedTokenResponse{Token: succ.Token.Reveal(), Info: succ.Record.Info(now), Replaced: &replaced})
}

func (s *Server) handleRevokeSelf(w http.ResponseWriter, r *http.Request) {
	tok := caller(r)
	rec, already, err := s.admin.Revoke(r.Context(), core.RevokeRequest{Ref: strconv.FormatInt(tok.ID, 10), By: "itself"})
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, core.RevokedTokenResponse{Info: rec.Info(s.now()), Already: already})
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	// an admin token limited to some apps sees only the tokens it covers
	limit := caller(r).Grant
	list, err := s.admin.List(r.Context(), &limit)
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	now := s.now()
	out := make([]core.TokenInfo, len(list))
	for i, t := range list {
		out[i] = t.Info(now)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequest+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	if len(body) > maxTokenRequest {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the token request is larger than %d bytes", maxTokenRequest))
		return
	}
	var req core.CreateTokenRequest
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid token request JSON: "+err.Error())
			return
		}
	}
	m, err := core.ParseCreateToken(req, s.now())
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	tok := caller(r)
	m.By, m.Limit = by(tok), &tok.Grant
	minted, err := s.admin.Mint(r.Context(), m)
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, core.IssuedTokenResponse{Token: minted.Token.Reveal(), Info: minted.Record.Info(s.now())})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	tok := caller(r)
	// an admin token limited to some apps revokes only the tokens it covers
	rec, already, err := s.admin.Revoke(r.Context(), core.RevokeRequest{Ref: r.PathValue("ref"), By: by(tok), Limit: &tok.Grant})
	if err != nil {
		s.writeCoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, core.RevokedTokenResponse{Info: rec.Info(s.now()), Already: already})
}
