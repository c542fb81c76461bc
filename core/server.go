package core

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// TokenEnvPrefix starts every token variable haloy derives.
const TokenEnvPrefix = "HALOY_API_TOKEN_"

// Limits of DNS names (RFC 1035), in bytes of the ASCII (punycode) form.
const (
	maxLabel  = 63
	maxDomain = 253
)

// NormalizeServer turns what a user typed for a server into the name haloy
// stores and matches on: lower case, a trailing dot dropped, an IDN turned
// into punycode, an IPv6 address in brackets ("[2001:db8::1]"). It accepts a
// domain, an IPv4 or IPv6 address or localhost; a port only on a loopback
// host (localhost:9922, 127.0.0.1:9922, [::1]:9922). Returns a *Error of Kind
// Invalid that says what to change for a scheme, a path, user info, a port on
// a remote host, an empty or too long label, a too long name or an invalid
// character.
func NormalizeServer(raw string) (string, error) {
	return NormalizeServerFor(raw, "haloy server add %s")
}

// NormalizeServerFor is NormalizeServer for the command cmd: when the name
// can be corrected (a scheme, a path, user info or a remote port removed),
// the error's fix is cmd with %s replaced by the corrected name, e.g.
// "haloy server delete %s", so that the hint can be pasted as it is.
func NormalizeServerFor(raw, cmd string) (string, error) {
	s := strings.TrimSpace(raw)
	suggest := func(string) string {
		n, err := NormalizeServer(clean(s))
		if err != nil {
			return ""
		}
		return ": " + strings.Replace(cmd, "%s", n, 1)
	}
	if s == "" {
		return "", serverErr(raw, "the server name is empty",
			"give the server's domain or IP address, e.g. haloy server add haloy.example.com")
	}
	// a user:password@ before the :// would be repeated as the scheme
	if i := strings.Index(s, "://"); i >= 0 && !strings.Contains(s[:i], "@") {
		scheme := s[:i+3]
		return "", serverErr(raw, "it starts with "+scheme+", and haloy adds https:// itself",
			"remove "+scheme+suggest(s[i+3:]))
	}
	// a /, ? or # before an @ is in the user info (a password), not a path
	if i := strings.IndexAny(s, "/?#"); i >= 0 && !strings.Contains(s[i:], "@") {
		return "", serverErr(raw, "it has a path ("+s[i:]+"); a server is a host name only",
			"remove "+s[i:]+suggest(s[:i]))
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		info := redactUserinfo(s[:i+1])
		return "", serverErr(raw, "it has user info ("+info+"); haloy authenticates with the API token",
			"remove "+info+suggest(s[i+1:]))
	}
	host, port, err := splitPort(raw, s)
	if err != nil {
		return "", err
	}
	name, err := normalizeHost(raw, host)
	if err != nil {
		return "", err
	}
	if port == "" {
		return name, nil
	}
	if !isLoopback(name) {
		return "", serverErr(raw, "a port is accepted only on a loopback host (localhost, 127.0.0.1, [::1]); haloy reaches a remote server on https's port 443",
			"remove the port :"+port+suggest(name))
	}
	return name + ":" + port, nil
}

// splitPort separates an optional port from s. Bare IPv6 addresses (two
// colons or more, no brackets) have no port.
func splitPort(raw, s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", serverErr(raw, "the IPv6 address has no closing ]", "write it as [2001:db8::1]")
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", "", serverErr(raw, "unexpected "+strconv.Quote(rest)+" after the IPv6 address", "write it as [2001:db8::1] or [::1]:9922")
		}
		return host, rest[1:], checkPort(raw, rest[1:])
	}
	if strings.Count(s, ":") >= 2 {
		return s, "", nil
	}
	if i := strings.Index(s, ":"); i >= 0 {
		return s[:i], s[i+1:], checkPort(raw, s[i+1:])
	}
	return s, "", nil
}

func checkPort(raw, port string) error {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
		return serverErr(raw, "the port "+strconv.Quote(port)+" is not a number from 1 to 65535", "use a port like localhost:9922, or no port")
	}
	return nil
}

// normalizeHost validates one host (no port) and returns its stored form.
func normalizeHost(raw, host string) (string, error) {
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") >= 2 {
		inner := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() || a.Zone() != "" || a.Is4In6() {
			return "", serverErr(raw, strconv.Quote(inner)+" is not an IPv6 address (zones like %eth0 are not accepted)", "write an IPv6 address as [2001:db8::1]")
		}
		return "[" + a.String() + "]", nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return a.String(), nil
	}
	name := strings.TrimSuffix(host, ".")
	// before IDNA, which would turn each invalid byte into U+FFFD and store
	// a name nobody typed (a\x80 and a\xff both become xn--a-q10i)
	if !utf8.ValidString(name) {
		return "", serverErr(raw, "it is not valid UTF-8 text", "type the server's name again, or give its punycode form (xn--...)")
	}
	if !isASCII(name) {
		ascii, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", serverErr(raw, "it is not a valid international domain name ("+err.Error()+")", "check the spelling, or give its punycode form (xn--...)")
		}
		name = ascii
	}
	name = strings.ToLower(name)
	if name == "" {
		return "", serverErr(raw, "the server name is empty", "give the server's domain or IP address, e.g. haloy server add haloy.example.com")
	}
	if len(name) > maxDomain {
		return "", serverErr(raw, "the name is "+strconv.Itoa(len(name))+" bytes long; a domain has at most 253", "check that you pasted only the server's name")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return "", serverErr(raw, "it has an empty label (two dots in a row, or a leading dot)", "remove the extra dot")
		case len(l) > maxLabel:
			return "", serverErr(raw, "the label "+strconv.Quote(l)+" is "+strconv.Itoa(len(l))+" bytes long; a label has at most 63", "check the name; each part between dots must be 63 bytes or fewer")
		}
		if i := strings.IndexFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }); i >= 0 {
			r, _ := utf8.DecodeRuneInString(l[i:])
			return "", serverErr(raw, "it contains the invalid character "+strconv.QuoteRune(r)+"; a domain has only letters, digits, hyphens and dots", "remove the character, or give the server's IP address")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", serverErr(raw, "the label "+strconv.Quote(l)+" starts or ends with a hyphen", "check the name")
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", serverErr(raw, "it is neither an IPv4 address nor a domain (a top-level domain is never all digits)", "write an IPv4 address as four numbers, e.g. 192.168.1.100")
	}
	return name, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isLoopback reports whether a normalized host names this machine:
// localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && a.IsLoopback()
}

// IsLoopbackServer reports whether a normalized server (with or without a
// port) is on this machine: localhost, 127.0.0.0/8 or [::1].
func IsLoopbackServer(server string) bool {
	host := server
	if strings.HasPrefix(host, "[") {
		host = host[:strings.Index(host, "]")+1]
	} else if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	return isLoopback(host)
}

// clean strips what people paste around a server name: a scheme, user
// info, a path, query or fragment (a trailing / included), and a port on a
// host that is not this machine.
func clean(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 && !strings.Contains(s[i:], "@") {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if host, port, err := splitPort(s, s); err == nil && port != "" {
		if n, err := normalizeHost(s, host); err == nil && !isLoopback(n) {
			s = host
		}
	}
	return s
}

func serverErr(raw, why, fix string) error {
	return &Error{Kind: Invalid, What: "invalid server " + strconv.Quote(redactUserinfo(raw)), Why: why, Fix: fix}
}

// redactUserinfo hides the password of user:password@ in s, so an error
// never repeats it.
func redactUserinfo(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < at {
		start = i + 3
	}
	if c := strings.Index(s[start:at], ":"); c >= 0 {
		return s[:start+c+1] + "***" + s[at:]
	}
	return s
}

// TokenEnv derives the variable that holds a server's token, exactly as
// Haloy does: HALOY_API_TOKEN_ followed by the server name upper-cased, with
// every run of characters other than letters, digits and _ turned into one _
// (production.haloy.com -> HALOY_API_TOKEN_PRODUCTION_HALOY_COM).
func TokenEnv(server string) string {
	var b strings.Builder
	b.WriteString(TokenEnvPrefix)
	inRun := false
	for _, r := range server {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(unicode.ToUpper(r))
			inRun = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			inRun = false
		default:
			if !inRun {
				b.WriteByte('_')
				inRun = true
			}
		}
	}
	return b.String()
}

// AssignTokenEnv picks the token variable for a new server in st: Haloy's
// name (TokenEnv) unless another server already uses it, in which case the
// name gets a suffix of the first 8 hex digits of the SHA-256 of the server
// name (a-b.example.com and a.b.example.com would otherwise share
// HALOY_API_TOKEN_A_B_EXAMPLE_COM). The result is deterministic; collided
// says whether the suffix was needed.
func AssignTokenEnv(st ClientState, server string) (name string, collided bool) {
	taken := func(v string) bool {
		for s, ref := range st.Servers {
			if s != server && ref.TokenEnv == v {
				return true
			}
		}
		return false
	}
	base := TokenEnv(server)
	if !taken(base) {
		return base, false
	}
	sum := sha256.Sum256([]byte(server))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	for n := 8; n < len(digest); n += 4 {
		if v := base + "_" + digest[:n]; !taken(v) {
			return v, true
		}
	}
	return base + "_" + digest, true
}

// shellVar matches a token that is one unexpanded shell variable: $NAME or ${...}.
var shellVar = regexp.MustCompile(`^\$(\{.*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

// placeholders are tokens people paste from documentation, compared in lower case.
var placeholders = []string{
	"token", "your_token", "your-token", "yourtoken", "your_token_here", "your-token-here",
	"your_api_token", "your-api-token", "api_token", "api-token", "changeme", "change_me",
	"secret", "xxx", "xxxx", "xxxxx", "xxxxxx", "placeholder", "todo",
}

// MaxTokenBytes is the longest token haloy stores: far above any real API
// token, and far below what a line of .env can hold.
const MaxTokenBytes = 4096

// placeholderWords matches the "your_..._here" family of documentation
// placeholders (your_production_token_here, your-staging-token).
var placeholderWords = regexp.MustCompile(`^(your|my)[_-]?([a-z0-9]+[_-])*(token|key|secret)([_-]?here)?$|^your[_-].*[_-]here$`)

// ValidateToken checks a token before it is stored. Returns a *Error of Kind
// Invalid when it is empty, contains whitespace or control characters, or is
// a placeholder copied from documentation (<token>, your_token_here, ${VAR},
// op://...). The error never contains the token, except a recognized
// placeholder, which is not a secret.
func ValidateToken(tok string) error {
	const want = "the API token your server's administrator issued (sudo haloyadm api token prints it once)"
	fix := "pass the real token, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"
	if tok == "" {
		return &Error{Kind: Invalid, What: "the token is empty", Why: "expected " + want, Fix: fix}
	}
	if len(tok) > MaxTokenBytes {
		return &Error{Kind: Invalid, What: "the token is too long: " + strconv.Itoa(len(tok)) + " bytes, and a token has at most " + strconv.Itoa(MaxTokenBytes),
			Why: "an API token is one short word (haloyadm's have under 100 characters); this looks like a file or several values pasted together",
			Fix: fix}
	}
	if strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return &Error{Kind: Invalid, What: "the token contains whitespace or a control character",
			Why: "an API token is one word; a copy may have picked up a space or a line break", Fix: fix}
	}
	if !utf8.ValidString(tok) {
		return &Error{Kind: Invalid, What: "the token is not valid UTF-8", Why: "expected " + want, Fix: fix}
	}
	placeholder := func(why, fix string) error {
		return &Error{Kind: Invalid, What: "the token " + strconv.Quote(tok) + " is a placeholder", Why: why, Fix: fix}
	}
	lower := strings.ToLower(tok)
	switch {
	case strings.HasPrefix(tok, "<") || strings.HasSuffix(tok, ">"):
		return placeholder("text in <angle brackets> in documentation stands for a value you supply; expected "+want, fix)
	case shellVar.MatchString(tok):
		return placeholder("the shell did not expand the variable (single quotes, or the variable is not set)",
			"set the variable and use double quotes, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin")
	case strings.HasPrefix(lower, "op://"):
		return placeholder("it is a 1Password reference, not a token; haloy server add stores the token itself",
			"read it first: op read '"+tok+"' | haloy server add <server> --token-stdin")
	case slices.Contains(placeholders, lower) || placeholderWords.MatchString(lower):
		return placeholder("it is example text from documentation; expected "+want, fix)
	}
	return nil
}

// ValidateAdd checks the server and token of `haloy server add` before
// anything is stored: the server name (NormalizeServer), the token
// (ValidateToken), and that the two were not given in the wrong order (a
// token that is a host name, next to a server that is not one, would
// otherwise store the token as a server name, where everyone can read it).
func ValidateAdd(server, token string) error {
	if swapped(server, token) {
		return &Error{Kind: Invalid, What: "the server and the token look swapped",
			Why: "the token argument is a host name, and the server argument is not one",
			Fix: "give the server first: haloy server add <server> --token-stdin, with the token on stdin"}
	}
	if _, err := NormalizeServerFor(server, "haloy server add %s --token-stdin"); err != nil {
		return err
	}
	return ValidateToken(token)
}

// swapped reports whether token looks like a server (a domain with a dot,
// an address or localhost) while server looks like none.
func swapped(server, token string) bool {
	hostLike := func(s string) bool {
		n, err := NormalizeServer(s)
		return err == nil && (strings.ContainsAny(n, ".:") || n == "localhost")
	}
	return hostLike(token) && !hostLike(server)
}

// AddServer is a request to add a server, or with Force to replace its token.
type AddServer struct {
	// Server is the name as the user typed it; Add normalizes it.
	Server string
	Token  string
	// CACert is an absolute path to a PEM file, or "" to keep the current one.
	CACert string
	Force  bool
}

// Added says what Add did.
type Added struct {
	Server   string // the normalized name
	TokenEnv string // the variable that holds the token
	// HaloyTokenEnv is the name Haloy would have used; it differs from
	// TokenEnv when that name was taken by another server.
	HaloyTokenEnv string
	// CollidedWith is the server that already held HaloyTokenEnv, when
	// TokenEnv had to differ from it; else "".
	CollidedWith string
	// Replaced is true when the server existed and Force replaced its token.
	Replaced bool
	// ShadowedBy names where another value of TokenEnv is set that wins
	// over .env when deploying ("the environment", or the config
	// directory's .env.local), so that the token stored is not the one
	// used; else "".
	ShadowedBy string
}

// Collided reports whether the token variable differs from Haloy's name
// because another server already held that name.
func (a Added) Collided() bool { return a.TokenEnv != a.HaloyTokenEnv }

// Add adds a server and its token to st, or with req.Force replaces the
// token of an existing server in place (same variable, CA certificate kept
// unless req.CACert is set). st is changed only on success. Returns a *Error
// of Kind Invalid for a bad server name or token (see ValidateAdd), and of Kind Conflict when
// the server exists and req.Force is false.
func (st *ClientState) Add(req AddServer) (Added, error) {
	if err := ValidateAdd(req.Server, req.Token); err != nil {
		return Added{}, err
	}
	server, _ := NormalizeServer(req.Server)
	if st.Servers == nil {
		st.Servers = map[string]ServerRef{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]string{}
	}
	if key, ok := st.Key(server); ok {
		server = key // the entry as stored, in whatever case Haloy wrote it
		ref := st.Servers[key]
		if !req.Force {
			return Added{}, &Error{Kind: Conflict, What: "server " + strconv.Quote(server) + " is already configured",
				Why: "its token is in " + ref.TokenEnv + "; nothing was changed",
				Fix: "to replace its token: haloy server add " + server + " --force --token-stdin"}
		}
		if ref.TokenEnv == "" {
			ref.TokenEnv, _ = AssignTokenEnv(*st, server)
		}
		if req.CACert != "" {
			ref.CACert = req.CACert
		}
		st.Servers[server] = ref
		st.Tokens[ref.TokenEnv] = req.Token
		return Added{Server: server, TokenEnv: ref.TokenEnv, HaloyTokenEnv: TokenEnv(server), Replaced: true}, nil
	}
	name, collided := AssignTokenEnv(*st, server)
	out := Added{Server: server, TokenEnv: name, HaloyTokenEnv: TokenEnv(server)}
	if collided {
		for _, other := range st.ServerNames() {
			if st.Servers[other].TokenEnv == out.HaloyTokenEnv {
				out.CollidedWith = other
				break
			}
		}
	}
	st.Servers[server] = ServerRef{TokenEnv: name, CACert: req.CACert}
	st.Tokens[name] = req.Token
	return out, nil
}

// Deleted says what Delete did.
type Deleted struct {
	Server   string
	TokenEnv string
	// TokenRemoved is false when the variable was not in .env, or when
	// another server (in a file Haloy wrote) still uses it.
	TokenRemoved bool
}

// Delete removes a server and its token variable from st; it keeps the
// variable when another server still names it. raw is matched as is first,
// then normalized. Returns a *Error of Kind
// Invalid for a bad server name and of Kind NotFound, listing the
// configured servers, for an unknown one.
func (st *ClientState) Delete(raw string) (Deleted, error) {
	// An entry written by Haloy's client may be stored as typed
	// (Prod.Example.com, or with a port haloy refuses): it is found as is.
	server := strings.TrimSpace(raw)
	if _, ok := st.Servers[server]; !ok {
		n, err := NormalizeServerFor(raw, "haloy server delete %s")
		if err != nil {
			return Deleted{}, err
		}
		server = n
		if key, ok := st.Key(n); ok {
			server = key
		}
	}
	ref, ok := st.Servers[server]
	if !ok {
		return Deleted{}, st.unknownServer(server)
	}
	delete(st.Servers, server)
	out := Deleted{Server: server, TokenEnv: ref.TokenEnv}
	if _, has := st.Tokens[ref.TokenEnv]; has && ref.TokenEnv != "" {
		shared := false
		for _, other := range st.Servers {
			shared = shared || other.TokenEnv == ref.TokenEnv
		}
		if !shared {
			delete(st.Tokens, ref.TokenEnv)
			out.TokenRemoved = true
		}
	}
	return out, nil
}

// ServerNames returns the configured servers, sorted.
func (st ClientState) ServerNames() []string {
	names := make([]string, 0, len(st.Servers))
	for s := range st.Servers {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// unknownServer is the NotFound error for a server not in st.
func (st ClientState) unknownServer(server string) error {
	names := st.ServerNames()
	if len(names) == 0 {
		return &Error{Kind: NotFound, What: "unknown server " + strconv.Quote(server),
			Why: "no servers are configured", Fix: "haloy server add " + server + " --token-stdin"}
	}
	return &Error{Kind: NotFound, What: "unknown server " + strconv.Quote(server),
		Why: "configured: " + strings.Join(names, ", "), Fix: "haloy server list"}
}

// Key returns the name under which server is stored in st: server itself,
// else the entry that is the same server once both are normalized. Haloy's
// client stores names as typed (HALOY.Example.COM, LOCALHOST:39922), so
// an entry in any case, with a trailing dot, or an IDN in Unicode is found
// by its normalized name, and the reverse. ok is false when none matches.
func (st ClientState) Key(server string) (string, bool) {
	return ServerKey(st.Servers, server)
}

// ServerKey is ClientState.Key for a map of servers.
func ServerKey(servers map[string]ServerRef, server string) (string, bool) {
	if _, ok := servers[server]; ok {
		return server, true
	}
	want := canonical(server)
	for k := range servers {
		if canonical(k) == want {
			return k, true
		}
	}
	return "", false
}

// canonical is the form two names of one server share: normalized, or for
// a name haloy refuses (Haloy's client stores some), lower case without a
// trailing dot.
func canonical(s string) string {
	if n, err := NormalizeServer(s); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}
