package core

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// APITokenPrefix starts every API token haloyadm issues, so that a token is
// recognizable in a leaked file or a secret scanner's report.
const APITokenPrefix = "haloy_"

// APITokenBytes is how many random bytes a token carries: 256 bits.
const APITokenBytes = 32

// DefaultTokenLifetime is how long a token lives when --expires is not given.
const DefaultTokenLifetime = 90 * 24 * time.Hour

// TouchInterval is the least time between two writes of a token's last use.
const TouchInterval = time.Minute

// TokenHash is the SHA-256 hash of an API token: the only form the server keeps.
type TokenHash [sha256.Size]byte

// HashAPIToken returns the hash under which the server stores tok.
func HashAPIToken(tok string) TokenHash { return sha256.Sum256([]byte(tok)) }

// FormatAPIToken turns random bytes into a token: the prefix, then the bytes
// in unpadded base64url (43 characters for 32 bytes).
func FormatAPIToken(random [APITokenBytes]byte) string {
	return APITokenPrefix + base64.RawURLEncoding.EncodeToString(random[:])
}

// LooksLikeAPIToken reports whether s has the shape of a token haloyadm
// issues: the prefix, then at least 43 base64url characters. It says nothing
// about whether the token is valid.
func LooksLikeAPIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, APITokenPrefix)
	if !ok || len(rest) < base64.RawURLEncoding.EncodedLen(APITokenBytes) {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !isBase64URL(rest[i]) {
			return false
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// ParseBearer extracts the credentials of an Authorization header value of
// the Bearer scheme. The scheme is matched without regard to case (RFC 9110,
// section 11.1); one or more spaces separate it from the credentials, which
// must be a token68 (RFC 9110, section 11.2). It reports false for anything
// else: an empty value, another scheme, no credentials, or credentials with
// spaces or other characters outside token68.
func ParseBearer(header string) (string, bool) {
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred := strings.TrimLeft(rest, " ")
	if !isToken68(cred) {
		return "", false
	}
	return cred, true
}

// isToken68 reports whether s is 1*( ALPHA / DIGIT / "-" / "." / "_" / "~"
// / "+" / "/" ) *"=".
func isToken68(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !isBase64URL(c) && c != '.' && c != '~' && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

// TokenRecord is a token as the server keeps it: never the token itself nor
// its hash. Zero times mean "never" (ExpiresAt) or "not yet" (LastUsedAt,
// RevokedAt).
type TokenRecord struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
	// Grant is what the token may do: its scopes and apps.
	Grant TokenGrant
	// ReplacedBy is the id of the token that replaced this one in a
	// rotation; zero while it is its name's current token.
	ReplacedBy int64
	// CreatedBy and RevokedBy name who made and who revoked the token:
	// `token "ops" (id 3)`, "haloyadm (root)", "rotation of id 4 by
	// itself", an OIDC identity, "itself". Empty for tokens recorded before
	// haloyadm kept them (shown as UnknownActor), and RevokedBy while not
	// revoked.
	CreatedBy string
	RevokedBy string
}

// UnknownActor stands for who made or revoked a token recorded before
// haloyadm kept that.
const UnknownActor = "unknown"

// ShowActor returns by, or UnknownActor when it is empty.
func ShowActor(by string) string {
	if by == "" {
		return UnknownActor
	}
	return by
}

var userNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}$`)

// LocalActor names a haloyadm command run on the server by user (the OS
// user, the one behind sudo if any): "haloyadm (alice)", or "haloyadm" when
// user is empty or not a plain user name.
func LocalActor(user string) string {
	if !userNameRE.MatchString(user) {
		return "haloyadm"
	}
	return "haloyadm (" + user + ")"
}

// RotationActor is who made the successor of token old in a rotation: the
// old token itself, the only one that may rotate it.
func RotationActor(old int64) string {
	return "rotation of id " + strconv.FormatInt(old, 10) + " by itself"
}

// NewTokenRecord is what a token store needs to record a new token: the
// one way to mint one, whatever asks (haloyadm, the token API, rotation or
// an OIDC exchange).
type NewTokenRecord struct {
	Name      string
	Hash      TokenHash
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never expires
	Grant     TokenGrant
	// CreatedBy names who made it (TokenRecord.CreatedBy).
	CreatedBy string
}

// TokenStatus is a token's state at a given time.
type TokenStatus string

// The states of a token. Revoked wins over expired.
const (
	TokenActive  TokenStatus = "active"
	TokenExpired TokenStatus = "expired"
	TokenRevoked TokenStatus = "revoked"
)

// Status returns t's state at now. A token expires at the instant ExpiresAt.
func (t TokenRecord) Status(now time.Time) TokenStatus {
	switch {
	case !t.RevokedAt.IsZero() && !now.Before(t.RevokedAt):
		return TokenRevoked
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return TokenExpired
	default:
		return TokenActive
	}
}

// NeedsTouch reports whether a use of t at now should be written down, so
// that last use is written at most once per TouchInterval.
func (t TokenRecord) NeedsTouch(now time.Time) bool {
	return t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= TouchInterval
}

var daysRE = regexp.MustCompile(`^([0-9]+)d$`)

// MaxTokenLifetime is the longest --expires: ten years. A token meant to
// outlive that is --expires never, said outright.
const MaxTokenLifetime = 3650 * 24 * time.Hour

// ParseTokenLifetime parses an --expires value: a number of days ("90d"),
// a Go duration ("12h", "30m", "1s", "1h30m"), or "never" (never reports
// true, and the duration is zero). The lifetime must be positive. Returns a
// *Error of Kind Invalid otherwise.
func ParseTokenLifetime(s string) (d time.Duration, never bool, err error) {
	if s == "never" {
		return 0, true, nil
	}
	d, bad := parseSpan(s)
	switch bad {
	case spanTooLong:
		return 0, false, lifetimeErr(s, "it is longer than the most a token may live, 3650d (ten years)")
	case spanUnknown:
		return 0, false, lifetimeErr(s, "it is neither a number of days nor a Go duration")
	}
	if d <= 0 {
		return 0, false, lifetimeErr(s, "a token's lifetime must be positive")
	}
	return d, false, nil
}

// MinPruneAge is the least --older-than of 'haloyadm api token prune':
// below it, a token that ended a moment ago would vanish from the list
// before anyone saw it, and "1m" (a minute, in a Go duration) is more
// likely a month mistyped than a wish.
const MinPruneAge = time.Hour

// DefaultPruneAge is --older-than's default: a month of ended tokens kept.
const DefaultPruneAge = "30d"

// ParsePruneAge parses an --older-than value, written as --expires is
// (days, "30d", or a Go duration, "12h"), from MinPruneAge to
// MaxTokenLifetime. Returns a *Error of Kind Invalid otherwise.
func ParsePruneAge(s string) (time.Duration, error) {
	bad := func(why, fix string) error {
		return &Error{Kind: Invalid, What: "invalid --older-than " + strconv.Quote(s), Why: why, Fix: fix}
	}
	const fix = "use days (--older-than 30d) or a Go duration (--older-than 12h), at least --older-than 1h"
	d, wrong := parseSpan(s)
	switch {
	case wrong == spanTooLong:
		return 0, bad("it is longer than the most a token may live, 3650d (ten years)", fix)
	case wrong == spanUnknown && !strings.HasPrefix(s, "-"):
		return 0, bad("it is neither a number of days nor a Go duration", fix)
	case wrong == spanUnknown || d <= 0: // "-30d" too
		return 0, bad("only tokens that ended some time ago are pruned: the age must be positive", fix)
	case d < MinPruneAge:
		return 0, bad("it is under an hour: tokens that ended that recently are kept so that the list shows them, "+
			"and in a Go duration 'm' means minutes, not months", "use at least --older-than 1h; for a month, --older-than 30d")
	}
	return d, nil
}

// EndedAt returns when t stopped working for good: the earlier of its
// revocation and its expiry, or zero while it has neither.
func (t TokenRecord) EndedAt() time.Time {
	switch {
	case t.RevokedAt.IsZero():
		return t.ExpiresAt
	case t.ExpiresAt.IsZero() || t.RevokedAt.Before(t.ExpiresAt):
		return t.RevokedAt
	default:
		return t.ExpiresAt
	}
}

// EndedBefore reports whether t ended before cut: revoked or expired
// before it. A token with neither a revocation nor an expiry never has.
func (t TokenRecord) EndedBefore(cut time.Time) bool {
	e := t.EndedAt()
	return !e.IsZero() && e.Before(cut)
}

// What parseSpan found wrong.
const (
	spanOK      = iota
	spanUnknown // neither a number of days nor a Go duration
	spanTooLong // longer than MaxTokenLifetime
)

// parseSpan reads a number of days ("90d") or a Go duration ("12h",
// "1h30m", "-5m") of at most MaxTokenLifetime; the lifetime of a token and
// the age of an ended one are written alike.
func parseSpan(s string) (time.Duration, int) {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > int(MaxTokenLifetime/(24*time.Hour)) {
			return 0, spanTooLong
		}
		return time.Duration(n) * 24 * time.Hour, spanOK
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.Contains(err.Error(), "invalid duration") && durationShape.MatchString(s) {
			return 0, spanTooLong // the shape of a duration, too large for one
		}
		return 0, spanUnknown
	}
	if d > MaxTokenLifetime {
		return 0, spanTooLong
	}
	return d, spanOK
}

// durationShape matches what time.ParseDuration accepts, whatever its size.
var durationShape = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

func lifetimeErr(s, why string) error {
	return &Error{Kind: Invalid, What: "invalid token lifetime " + strconv.Quote(s), Why: why,
		Fix: "use days (--expires 90d), a Go duration (--expires 12h, 30m, 1s) or --expires never"}
}

const maxTokenName = 64

// CheckTokenName returns a *Error of Kind Invalid unless name is 1 to 64
// characters of letters, digits, '.', '_' and '-' starting with a letter.
// The leading letter keeps names apart from numeric token ids, so that
// 'haloyadm api token revoke' can take either.
func CheckTokenName(name string) error {
	bad := func(why string) error {
		return &Error{Kind: Invalid, What: "invalid token name " + strconv.Quote(name), Why: why,
			Fix: "use a name like ci-production: letters, digits, '.', '_' and '-', starting with a letter"}
	}
	if name == "" {
		return bad("the name is empty")
	}
	if len(name) > maxTokenName {
		return bad(fmt.Sprintf("it is %d characters long; the limit is %d", len(name), maxTokenName))
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return bad("it must start with a letter")
	}
	for _, c := range name {
		if !(c < 0x80 && (isBase64URL(byte(c)) || c == '.')) {
			return bad("it contains " + strconv.QuoteRune(c))
		}
	}
	return nil
}

// TokenNameTaken is the error for a new token whose name a current token
// holds. A name stays with its token when it is revoked or expires (only a
// rotation hands it on, to the successor), so that a name in a list or a
// log means one token: revoking the holder does not free the name; pruning
// it, once it has ended, does.
func TokenNameTaken(name string) *Error {
	return &Error{Kind: Conflict, What: "a token named " + strconv.Quote(name) + " already exists",
		Why: "token names are unique, and a revoked or expired token keeps its name until it is pruned",
		Fix: "choose another --name (see haloyadm api token list); to replace a token that still works under its name, rotate it: haloy server rotate <server>; " +
			"a token that ended over 30 days ago gives its name back to: sudo haloyadm api token prune"}
}

// DefaultTokenName derives a token name from its creation time, e.g.
// token-20261127-024530 (UTC).
func DefaultTokenName(created time.Time) string {
	return "token-" + created.UTC().Format("20060102-150405")
}

// ServerSettings is haloyadm's configuration file.
type ServerSettings struct {
	// APIDomain is the domain clients reach the API on; it fills the
	// 'haloy server add' hint. Empty until set with init --api-domain.
	APIDomain string `yaml:"api_domain,omitempty"`
	// RotationGrace is how long a rotated-away token keeps working (a Go
	// duration, e.g. "10m"); empty is DefaultRotationGrace.
	RotationGrace string `yaml:"rotation_grace,omitempty"`
}

// maxRotationGrace bounds the grace period: a rotated-away token is one
// that should stop working soon.
const maxRotationGrace = 24 * time.Hour

// Grace returns the rotation grace period. Returns a *Error of Kind
// Invalid for a value that is not a duration between 1s and 24h.
func (s ServerSettings) Grace() (time.Duration, error) {
	if s.RotationGrace == "" {
		return DefaultRotationGrace, nil
	}
	d, err := time.ParseDuration(s.RotationGrace)
	if err != nil || d < time.Second || d > maxRotationGrace {
		return 0, &Error{Kind: Invalid, What: "invalid rotation_grace " + strconv.Quote(s.RotationGrace) + " in haloyadm.yaml",
			Why: "it must be a Go duration from 1s to 24h", Fix: "set rotation_grace: 10m in haloyadm.yaml, or remove the line for the default (10m)"}
	}
	return d, nil
}

// ServeOptions configures the API server.
type ServeOptions struct {
	Listen  string // host:port
	TLSCert string // PEM certificate chain; empty serves plain HTTP
	TLSKey  string // PEM private key
	Version string // reported by /health and /v1/version
	// TrustedProxies are the IP addresses and CIDR ranges (e.g. 127.0.0.1,
	// 10.0.0.0/8) of reverse proxies whose X-Forwarded-For and Forwarded
	// headers name the client; none by default.
	TrustedProxies []string
}

// haloyadm's directories: each is the value of its variable, or the default.
const (
	ServerConfigDirEnv     = "HALOY_CONFIG_DIR"
	DefaultServerConfigDir = "/etc/haloy"
	ServerDataDirEnv       = "HALOY_DATA_DIR"
	DefaultServerDataDir   = "/var/lib/haloy"
)

// maxListedNames caps the names an error lists, so that a store of
// thousands of tokens does not flood the terminal.
const maxListedNames = 20

// UnknownToken is the error for a token reference (id or name) that matches
// none of known. It lists the known names, so that the user can pick one.
func UnknownToken(ref string, known []TokenRecord) error {
	why := "there are no tokens"
	if len(known) > 0 {
		var names []string
		for _, t := range known[:min(len(known), maxListedNames)] {
			names = append(names, t.Name)
		}
		why = "known tokens: " + strings.Join(names, ", ")
		if more := len(known) - maxListedNames; more > 0 {
			why += fmt.Sprintf(", and %d more", more)
		}
	}
	fix := "run 'haloyadm api token list' for ids and names"
	names := make([]string, len(known))
	for i, t := range known {
		names[i] = t.Name
	}
	if cl := Closest(ref, names); cl != "" {
		fix = "did you mean " + strconv.Quote(cl) + "? " + fix
	}
	return &Error{Kind: NotFound, What: "unknown token " + strconv.Quote(ref), Why: why, Fix: fix}
}

// DuplicateDeployment is the error for a deployment id already recorded.
func DuplicateDeployment(id string) error {
	return &Error{Kind: Conflict, What: "deployment " + strconv.Quote(id) + " is already recorded",
		Why: "each deployment has its own id", Fix: "deploy again: the client makes a new id"}
}

// ServerNotInitialized is the error for a missing haloyadm config file.
func ServerNotInitialized(path string) error {
	return &Error{Kind: Missing, What: "haloyadm is not initialized on this server",
		Why: "there is no config file " + strconv.Quote(path), Fix: "sudo haloyadm init --api-domain <api-domain>"}
}

// ExpandHome expands a leading "~/" in a directory named by a variable
// (HALOY_CONFIG_DIR, HALOY_DATA_DIR) to home, as Haloy does; any other
// path, or an empty home, is returned as it is.
func ExpandHome(path, home string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok && home != "" {
		return strings.TrimSuffix(home, "/") + "/" + rest
	}
	return path
}

// Deployment records are bounded: one record holds at most
// MaxDeploymentRecordBytes of JSON (45,000 aliases, about 1 MB, were
// accepted), and a store keeps the newest KeepDeploymentsPerApp records of
// each app, deleting older ones as new ones arrive.
const (
	MaxDeploymentRecordBytes = 64 << 10
	KeepDeploymentsPerApp    = 1000
)

// DeploymentTooLarge is the error of a deployment whose record would be
// size bytes, over MaxDeploymentRecordBytes.
func DeploymentTooLarge(id string, size int) error {
	return &Error{Kind: Invalid, What: "deployment " + strconv.Quote(id) + " is too large to record",
		Why: "its record would be " + strconv.Itoa(size) + " bytes; at most " + strconv.Itoa(MaxDeploymentRecordBytes) + " are kept per deployment",
		Fix: "send fewer domains, aliases or variables"}
}
