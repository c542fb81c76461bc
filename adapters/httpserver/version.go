package httpserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// versionMax bounds the encoded answers kept; past it, answers are encoded
// per request (as every answer was before).
const versionMax = 4096

// versionBodies keeps the encoded answer of GET /v1/version per token, with
// what it was encoded from: a token's answer changes only when its record
// does (a rotation shortens the old token's expiry). Encoding it with
// encoding/json was a fifth of the CPU of the whole request, in process
// (docs/performance.md).
type versionBodies struct {
	mu sync.RWMutex
	m  map[int64]*versionBody
}

type versionBody struct {
	version, name string
	expires       time.Time
	scopes        []core.Scope
	apps          []string
	body          []byte
}

func newVersionBodies() *versionBodies { return &versionBodies{m: map[int64]*versionBody{}} }

// matches reports whether b was encoded from values that encode as rec does.
// The same instant in another location is encoded otherwise; a nil and an
// empty list are not (both are left out of the answer).
func (b *versionBody) matches(version string, rec core.TokenRecord) bool {
	return b.version == version && b.name == rec.Name &&
		b.expires.Equal(rec.ExpiresAt) && b.expires.Location() == rec.ExpiresAt.Location() &&
		slices.Equal(b.scopes, rec.Grant.Scopes) && slices.Equal(b.apps, rec.Grant.Apps)
}

// body returns the answer for rec's token, encoding it when it is not kept
// or was encoded from other values.
func (v *versionBodies) body(version string, rec core.TokenRecord) []byte {
	v.mu.RLock()
	b := v.m[rec.ID]
	v.mu.RUnlock()
	if b != nil && b.matches(version, rec) {
		return b.body
	}
	resp := core.VersionResponse{Haloyd: version, TokenName: rec.Name, TokenScopes: rec.Grant.Scopes, TokenApps: rec.Grant.Apps}
	if !rec.ExpiresAt.IsZero() {
		exp := rec.ExpiresAt // not &rec.ExpiresAt: rec would be on the heap on every call
		resp.TokenExpiresAt = &exp
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as writeJSON
	_ = enc.Encode(resp)     // strings, times and lists of strings: it cannot fail
	b = &versionBody{version: version, name: rec.Name, expires: rec.ExpiresAt,
		scopes: slices.Clone(rec.Grant.Scopes), apps: slices.Clone(rec.Grant.Apps), body: buf.Bytes()}
	v.mu.Lock()
	if _, ok := v.m[rec.ID]; ok || len(v.m) < versionMax {
		v.m[rec.ID] = b
	}
	v.mu.Unlock()
	return b.body
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	body := s.versions.body(s.version, caller(r))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away: nothing to do
}
