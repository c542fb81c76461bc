package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.IdentityVerifier = (*Identities)(nil)

// Identities is the twin of the OIDC verifier: the tokens it accepts are
// the strings Mint returned, and it applies the same size, issuer, time and
// jti rules as the real one. There are no signatures: a string Mint did not
// return is a forgery.
type Identities struct {
	// Now reads the time; nil is time.Now.
	Now func() time.Time

	mu     sync.Mutex
	tokens map[string]core.OIDCToken
	nbf    map[string]time.Time
}

// Mint returns a token string standing for t (nbf zero: none).
func (m *Identities) Mint(t core.OIDCToken, nbf time.Time) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens, m.nbf = map[string]core.OIDCToken{}, map[string]time.Time{}
	}
	raw := fmt.Sprintf("memory-oidc-%d", len(m.tokens)+1)
	m.tokens[raw], m.nbf[raw] = t, nbf
	return raw
}

// Verify implements ports.IdentityVerifier.
func (m *Identities) Verify(_ context.Context, raw string, issuers []string) (core.OIDCToken, error) {
	refuse := func(format string, args ...any) (core.OIDCToken, error) {
		return core.OIDCToken{}, &core.Error{Kind: core.Unauthorized, What: "identity token refused", Why: fmt.Sprintf(format, args...)}
	}
	if len(raw) > core.MaxOIDCTokenBytes {
		return refuse("the token is %d bytes, over the limit of %d; it was not parsed", len(raw), core.MaxOIDCTokenBytes)
	}
	m.mu.Lock()
	t, ok := m.tokens[raw]
	nbf := m.nbf[raw]
	m.mu.Unlock()
	if !ok {
		return refuse("the signature does not verify")
	}
	if !slices.Contains(issuers, t.Issuer) {
		return refuse("iss %q is not the issuer of any trust policy", t.Issuer)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	if err := core.CheckOIDCTimes(t.Expiry, nbf, t.IssuedAt, now()); err != nil {
		return refuse("%v (issuer %s)", err, t.Issuer)
	}
	if t.ID == "" {
		return refuse("the token has no jti claim, so a replay could not be detected (issuer %s)", t.Issuer)
	}
	return t, nil
}
