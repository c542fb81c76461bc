package core

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scope is what a token may do on its server. The scopes are ranked: each
// includes the ones below it, so admin can do everything, deploy can also
// read, and every valid token can read.
type Scope string

// The scopes, weakest first.
const (
	// ScopeRead allows the version, an app's status and deployment logs.
	ScopeRead Scope = "read"
	// ScopeDeploy allows a deployment and following its log, plus read.
	ScopeDeploy Scope = "deploy"
	// ScopeAdmin allows the token API (/v1/tokens), plus everything else.
	ScopeAdmin Scope = "admin"
)

// AllScopes are the scopes, weakest first.
var AllScopes = []Scope{ScopeRead, ScopeDeploy, ScopeAdmin}

// The headers of the scope model. Every authenticated answer carries
// HeaderTokenExpires (absent for a token that never expires); a 403 carries
// HeaderAcceptedScopes, the scopes any of which the route accepts.
const (
	HeaderTokenExpires   = "Haloy-Token-Expires"
	HeaderAcceptedScopes = "Haloy-Accepted-Scopes"
)

// DefaultRotationGrace is how long a rotated-away token keeps working after
// its successor is issued, unless haloyadm.yaml says otherwise.
const DefaultRotationGrace = 10 * time.Minute

func (s Scope) rank() int { return slices.Index(AllScopes, s) }

// Includes reports whether a token holding s may do what need allows.
func (s Scope) Includes(need Scope) bool {
	r := s.rank()
	return r >= 0 && r >= need.rank() && need.rank() >= 0
}

// AcceptedScopes returns the scopes that allow need: need and every scope
// above it, weakest first.
func AcceptedScopes(need Scope) []Scope {
	r := need.rank()
	if r < 0 {
		return nil
	}
	return append([]Scope{}, AllScopes[r:]...)
}

// JoinScopes returns scopes as "read, deploy".
func JoinScopes(scopes []Scope) string {
	s := make([]string, len(scopes))
	for i, x := range scopes {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// ParseScopes parses --scope values, each one scope or a comma-separated
// list ("deploy,read"), into a list without repeats, weakest first. No
// values at all returns nil: a token without restriction. Returns a *Error
// of Kind Invalid for an unknown or empty scope.
func ParseScopes(values []string) ([]Scope, error) {
	var out []Scope
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			s := Scope(strings.ToLower(strings.TrimSpace(part)))
			if s.rank() < 0 {
				return nil, &Error{Kind: Invalid, What: "unknown scope " + strconv.Quote(part),
					Why: "the scopes are read (version, status, logs), deploy (deploy, plus read) and admin (the token API, plus everything)",
					Fix: "use --scope deploy, --scope read or --scope admin"}
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b Scope) int { return a.rank() - b.rank() })
	return out, nil
}

// ParseTokenApps parses --app values, each one app or a comma-separated
// list, into a sorted list without repeats. No values returns nil: every
// app. Returns a *Error of Kind Invalid for a name that is not an app name.
func ParseTokenApps(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			a := strings.TrimSpace(part)
			if err := CheckDeploymentApp(a); err != nil {
				e := err.(*Error)
				e.Fix = "name apps as in haloy.yaml: --app my-app, or --app a,b"
				return nil, e
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// TokenGrant is what a token may do: its scopes and apps. Nil Scopes means
// every scope (a token made without --scope, or before scopes existed); nil
// Apps means every app.
type TokenGrant struct {
	Scopes []Scope  `json:"scopes"`
	Apps   []string `json:"apps"`
}

// Allows reports whether the grant includes need.
func (g TokenGrant) Allows(need Scope) bool {
	if g.Scopes == nil {
		return need.rank() >= 0
	}
	for _, s := range g.Scopes {
		if s.Includes(need) {
			return true
		}
	}
	return false
}

// AllowsApp reports whether the grant covers app.
func (g TokenGrant) AllowsApp(app string) bool {
	return g.Apps == nil || slices.Contains(g.Apps, app)
}

// Covers reports whether g includes everything sub allows, so that a
// token holding g may mint a token holding sub: no scope and no app more.
func (g TokenGrant) Covers(sub TokenGrant) bool {
	if sub.Scopes == nil && !g.Allows(ScopeAdmin) {
		return false
	}
	for _, s := range sub.Scopes {
		if !g.Allows(s) {
			return false
		}
	}
	if g.Apps == nil {
		return true
	}
	if sub.Apps == nil {
		return false
	}
	for _, a := range sub.Apps {
		if !slices.Contains(g.Apps, a) {
			return false
		}
	}
	return true
}

// ScopeText describes the scopes for a list: "all" when unrestricted.
func (g TokenGrant) ScopeText() string {
	if g.Scopes == nil {
		return "all"
	}
	return strings.ReplaceAll(JoinScopes(g.Scopes), " ", "")
}

// AppText describes the apps for a list: "all" when unrestricted.
func (g TokenGrant) AppText() string {
	if g.Apps == nil {
		return "all"
	}
	return strings.Join(g.Apps, ",")
}

// GrantFlags returns the haloyadm flags that make a token with grant g,
// e.g. " --scope deploy --app my-app", or "" for an unrestricted one.
func (g TokenGrant) GrantFlags() string {
	var b strings.Builder
	if g.Scopes != nil {
		b.WriteString(" --scope " + g.ScopeText())
	}
	if g.Apps != nil {
		b.WriteString(" --app " + g.AppText())
	}
	return b.String()
}

// Refusal says why a valid token may not make a request: the scope it
// lacks, or the app it is not for. The zero value is no refusal.
type Refusal struct {
	// Token names the token refused.
	Token string
	// Need is the scope the route needs; set when the token lacks it.
	Need Scope
	// App is the app the request touches; set when the token is not for it.
	App string
	// Has is the token's grant.
	Has TokenGrant
}

// Authorize checks a token's grant against what a request needs: scope
// need, for app (empty when the request touches no app). It returns the
// refusal, or the zero Refusal when the grant allows the request.
func Authorize(name string, g TokenGrant, need Scope, app string) Refusal {
	switch {
	case !g.Allows(need):
		return Refusal{Token: name, Need: need, Has: g}
	case app != "" && !g.AllowsApp(app):
		return Refusal{Token: name, App: app, Has: g}
	}
	return Refusal{}
}

// Refused reports whether r refuses the request.
func (r Refusal) Refused() bool { return r.Need != "" || r.App != "" }

// Message is the refusal for the 403 body and the log: which token, what
// it lacks, and what it has.
func (r Refusal) Message() string {
	if r.Need != "" {
		return "token " + strconv.Quote(r.Token) + " lacks the " + string(r.Need) + " scope this route needs (it has: " + r.Has.ScopeText() + ")"
	}
	return "token " + strconv.Quote(r.Token) + " is not for app " + strconv.Quote(r.App) + " (its apps: " + r.Has.AppText() + ")"
}

// CheckRotatable returns nil if t may be rotated at now: it is its name's
// current token, not revoked and not expired. Otherwise it returns a
// *Error of Kind Conflict saying why.
func CheckRotatable(t TokenRecord, now time.Time) error {
	name := strconv.Quote(t.Name)
	switch {
	case t.ReplacedBy != 0:
		return &Error{Kind: Conflict, What: "token " + name + " (id " + strconv.FormatInt(t.ID, 10) + ") was already rotated",
			Why: "a token is replaced once; its successor now holds the name", Fix: "use the successor, or on the server: haloyadm api token list"}
	case t.Status(now) != TokenActive:
		return &Error{Kind: Conflict, What: "token " + name + " cannot be rotated",
			Why: "it is " + string(t.Status(now)), Fix: "on the server: sudo haloyadm api token --name " + t.Name + t.Grant.GrantFlags()}
	}
	return nil
}

// SuccessorExpiry is when the successor of t, issued at now, expires: t's
// lifetime from now, or never when t never expires.
func SuccessorExpiry(t TokenRecord, now time.Time) time.Time {
	if t.ExpiresAt.IsZero() {
		return time.Time{}
	}
	return now.Add(t.ExpiresAt.Sub(t.CreatedAt))
}

// MintRequest is everything a new token is made from, whoever asks.
type MintRequest struct {
	// Name is the token's name; empty derives one from the time.
	Name string
	// ExpiresAt is when it expires; zero means never.
	ExpiresAt time.Time
	// Grant is what it may do.
	Grant TokenGrant
	// By names who asks, for the log: `token "ops" (id 3)`, "haloyadm".
	By string
	// Limit, when set, is the grant of the token asking: the new token may
	// not exceed it (an admin token limited to some apps mints tokens for
	// those apps only).
	Limit *TokenGrant
}

// Minted is a token just made: the only time the token itself exists.
type Minted struct {
	Token  Secret
	Record TokenRecord
}

// ParseCreateToken checks a token request as 'haloyadm api token' checks
// its flags, with the same messages, and returns the MintRequest (By and
// Limit unset) for a token made at now. Returns a *Error of Kind Invalid.
func ParseCreateToken(req CreateTokenRequest, now time.Time) (MintRequest, error) {
	life, never := DefaultTokenLifetime, false
	if req.Expires != "" {
		var err error
		if life, never, err = ParseTokenLifetime(req.Expires); err != nil {
			return MintRequest{}, err
		}
	}
	if req.Name != "" {
		if err := CheckTokenName(req.Name); err != nil {
			return MintRequest{}, err
		}
	}
	var g TokenGrant
	var err error
	if g.Scopes, err = ParseScopes(req.Scopes); err != nil {
		return MintRequest{}, err
	}
	if g.Apps, err = ParseTokenApps(req.Apps); err != nil {
		return MintRequest{}, err
	}
	m := MintRequest{Name: req.Name, Grant: g}
	if !never {
		m.ExpiresAt = now.Add(life)
	}
	return m, nil
}

// GrantExceeds is the error for a token asking to mint a token that may do
// more than itself.
func GrantExceeds(by string, has, asked TokenGrant) *Error {
	return &Error{Kind: Unauthorized, What: by + " may not create a token with scopes " + asked.ScopeText() + " for apps " + asked.AppText(),
		Why: "a token can only create tokens that do no more than it does (its scopes: " + has.ScopeText() + ", its apps: " + has.AppText() + ")",
		Fix: "ask for fewer scopes or apps, or use a token without app limits"}
}

// Missing describes what sub allows beyond g, for an error: "every scope",
// "scopes deploy", "every app", "apps blog,web", or several joined with
// " and ". It is "" when g covers sub.
func (g TokenGrant) Missing(sub TokenGrant) string {
	var parts []string
	if sub.Scopes == nil && !g.Allows(ScopeAdmin) {
		parts = append(parts, "every scope")
	}
	var scopes []Scope
	for _, s := range sub.Scopes {
		if !g.Allows(s) {
			scopes = append(scopes, s)
		}
	}
	if scopes != nil {
		parts = append(parts, "scopes "+TokenGrant{Scopes: scopes}.ScopeText())
	}
	if g.Apps != nil {
		if sub.Apps == nil {
			parts = append(parts, "every app")
		}
		var apps []string
		for _, a := range sub.Apps {
			if !slices.Contains(g.Apps, a) {
				apps = append(apps, a)
			}
		}
		if apps != nil {
			parts = append(parts, "apps "+strings.Join(apps, ","))
		}
	}
	return strings.Join(parts, " and ")
}

// RevokeRequest is a revocation, whoever asks.
type RevokeRequest struct {
	// Ref is the token's decimal id or its name.
	Ref string
	// By names who asks, for the log: `token "ops" (id 3)`, "itself",
	// "haloyadm".
	By string
	// Limit, when set, is the grant of the token asking: it may revoke
	// only tokens whose grant it covers (an admin token limited to some
	// apps manages tokens for those apps only).
	Limit *TokenGrant
}

// RefersTo reports whether ref, a decimal id or a name, names t: an id
// names one token, a name every token that held it (rotation keeps names).
func RefersTo(ref string, t TokenRecord) bool {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return t.ID == id
	}
	return t.Name == ref
}

// Manageable returns the tokens of list a token holding limit may see and
// revoke: those whose grant limit covers. A nil limit sees every token.
func Manageable(limit *TokenGrant, list []TokenRecord) []TokenRecord {
	if limit == nil {
		return list
	}
	out := []TokenRecord{}
	for _, t := range list {
		if limit.Covers(t.Grant) {
			out = append(out, t)
		}
	}
	return out
}

// CheckRevoke returns nil if req may revoke what req.Ref names among list,
// every token there is. Returns UnknownToken (listing only the tokens
// req.Limit may see) if ref names none, and RevokeExceeds if it names a
// token that may do more than req.Limit allows.
func CheckRevoke(req RevokeRequest, list []TokenRecord) error {
	found := false
	for _, t := range list {
		if !RefersTo(req.Ref, t) {
			continue
		}
		found = true
		if req.Limit != nil && !req.Limit.Covers(t.Grant) {
			return RevokeExceeds(req.By, *req.Limit, t)
		}
	}
	if !found {
		return UnknownToken(req.Ref, Manageable(req.Limit, list))
	}
	return nil
}

// RevokeExceeds is the error for a token asking to revoke a token that may
// do more than itself.
func RevokeExceeds(by string, has TokenGrant, t TokenRecord) *Error {
	name := strconv.Quote(t.Name)
	return &Error{Kind: Unauthorized, What: by + " may not revoke token " + name + " (id " + strconv.FormatInt(t.ID, 10) + ")",
		Why: "a token can only revoke tokens that do no more than it does, and " + name + " also has " + has.Missing(t.Grant) +
			" (its scopes: " + has.ScopeText() + ", its apps: " + has.AppText() + ")",
		Fix: "revoke it with an admin token without app limits, or on the server: sudo haloyadm api token revoke " + t.Name}
}
