package core

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// HaloyAPITokenEnv is the variable Haloy falls back on for any server when
// nothing more specific gives a token.
const HaloyAPITokenEnv = "HALOY_API_TOKEN"

// EnvLayer is one source of environment variables: the process
// environment, a .env file, the client config directory's .env.
type EnvLayer struct {
	// Name says where the variables come from, e.g. ".env.production"; the
	// process environment's name is "" (it needs no mention).
	Name string
	// Lookup returns a variable's value and whether it is set.
	Lookup func(key string) (string, bool)
}

// Env is an ordered stack of layers, highest precedence first.
type Env []EnvLayer

// Lookup returns the value of key from the first layer where it is set and
// not empty, and that layer's name. An empty value counts as unset, so it
// never hides a value set in a lower layer.
func (e Env) Lookup(key string) (value, layer string, ok bool) {
	for _, l := range e {
		if l.Lookup == nil {
			continue
		}
		if v, set := l.Lookup(key); set && v != "" {
			return v, l.Name, true
		}
	}
	return "", "", false
}

// MapLookup adapts a map of variables to EnvLayer.Lookup.
func MapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// ServerChoice is the server a target deploys to and why it was chosen.
type ServerChoice struct {
	// Server is the normalized server name.
	Server string
	// Why says how it was chosen, e.g. "server: in haloy.yaml:3".
	Why string
}

// SelectServer picks a target's server, in this order: the config's server
// (already merged from target and base; where is its "file:line"),
// normalized; otherwise the one server configured with haloy server add.
// With none or several configured and none in the config it returns a
// *Error of Kind Missing that says how to fix it; it never guesses.
func SelectServer(fromConfig, where string, configured []string) (ServerChoice, error) {
	if fromConfig != "" {
		s, err := NormalizeServer(fromConfig)
		if err != nil {
			if e, ok := err.(*Error); ok {
				c := *e
				c.What += " (server: in " + where + ")"
				c.Fix = "write the bare host name in " + where + ", e.g. server: production.haloy.com"
				return ServerChoice{}, &c
			}
			return ServerChoice{}, err
		}
		return ServerChoice{Server: s, Why: "server: in " + where}, nil
	}
	file, _, _ := strings.Cut(where, ":")
	switch len(configured) {
	case 1:
		return ServerChoice{Server: configured[0], Why: "the only server configured (haloy server list); " + file + " sets no server:"}, nil
	case 0:
		return ServerChoice{}, &Error{Kind: Missing, What: "no server to deploy to",
			Why: file + " sets no server: and no server is configured on this machine",
			Fix: "haloy server add <server> --token-stdin, or add a line to " + file + ": server: <server>"}
	default:
		return ServerChoice{}, &Error{Kind: Missing, What: "several servers are configured and " + file + " names none",
			Why: "configured: " + strings.Join(configured, ", ") + " (haloy server list)",
			Fix: "add a line to " + file + ": server: " + configured[0]}
	}
}

// FetchedSource is what a secret provider returned for one source: its
// fields by label, or the error that stopped it.
type FetchedSource struct {
	// Label names the item for people, e.g. "1Password Infrastructure/Haloy API Tokens".
	Label string
	// Fields maps each field's label to its value.
	Fields map[string]Secret
	// Err is the failure, if any: op not installed, not signed in, item not found.
	Err error
}

// Resolved is a value found for an api_token or env entry, and where it came from.
type Resolved struct {
	// Value is the token or value; empty when OIDC is set.
	Value Secret
	// OIDC is set for an api_token from a CI identity: the token is had
	// from the server at deploy time, in exchange for the identity.
	OIDC *OIDCSource
	// Source says where the value came from, never the value, e.g.
	// "from env PROD_TOKEN" or "1Password Infrastructure/Haloy API Tokens field production".
	Source string
	// Warning is set when the value is unsafe where it is, e.g. a literal token.
	Warning string
}

// SecretInputs is what resolving a from.secret reference needs: the
// config's declared providers and the items already fetched, by
// SecretSourceRef.Key.
type SecretInputs struct {
	Providers SecretProviders
	Fetched   map[string]FetchedSource
	// Dir is the config file's directory (SecretSourceRef.Dir).
	Dir string
}

// SecretSources returns the sources the from.secret references of a target
// point into, once each by SecretSourceRef.Key, in order of first mention.
// References that do not parse or name no declared source are left out:
// ResolveToken and ResolveEnv report them.
// dir is the config file's directory, set as each source's Dir.
func SecretSources(t TargetConfig, providers SecretProviders, dir string) []SecretSourceRef {
	var refs []string
	if t.APIToken != nil && t.APIToken.From != nil && t.APIToken.From.Secret != "" {
		refs = append(refs, t.APIToken.From.Secret)
	}
	for _, e := range t.Env {
		if e.From != nil && e.From.Secret != "" {
			refs = append(refs, e.From.Secret)
		}
	}
	if t.Image != nil && t.Image.Registry != nil {
		for _, v := range []ValueSource{t.Image.Registry.Username, t.Image.Registry.Password} {
			if v.From != nil && v.From.Secret != "" {
				refs = append(refs, v.From.Secret)
			}
		}
	}
	var out []SecretSourceRef
	seen := map[string]bool{}
	for _, raw := range refs {
		ref, err := ParseSecretRef(raw)
		if err != nil {
			continue
		}
		src, err := providers.Lookup(ref)
		src.Dir = dir
		if err != nil || seen[src.Key()] {
			continue
		}
		seen[src.Key()] = true
		out = append(out, src)
	}
	return out
}

// TokenInput is everything token resolution needs for one target.
type TokenInput struct {
	// Server is the selected, normalized server.
	Server string
	// APIToken is the target's api_token merged over the base; nil when unset.
	APIToken *APITokenConfig
	// Where is the api_token's "file:line"; File is the config file's name.
	Where, File string
	// Servers are the client's configured servers (client.yaml).
	Servers map[string]ServerRef
	// Env is the layered environment: process, .env files, the config directory's .env.
	Env Env
	// Secrets holds the declared providers and the fetched items.
	Secrets SecretInputs
}

// ResolveToken finds a target's API token, in this order: the config's
// api_token (from.env, from.secret or value, the last with a warning);
// otherwise the variable client.yaml names for the server; otherwise
// HALOY_API_TOKEN; otherwise a *Error of Kind Missing for the server that
// says which variable to set or which server to add. The result says where
// the token came from, never what it is.
func ResolveToken(in TokenInput) (Resolved, error) {
	what := "no API token for server " + strconv.Quote(in.Server)
	if in.APIToken != nil && in.APIToken.From != nil && in.APIToken.From.OIDC != nil {
		src := *in.APIToken.From
		if src.Env != "" || src.Secret != "" || in.APIToken.Value != "" {
			return Resolved{}, &Error{Kind: Invalid, What: what, Why: "api_token sets several values (" + in.Where + "): from.oidc, from.env, from.secret and value exclude each other",
				Fix: "keep exactly one of them"}
		}
		if err := src.OIDC.Check(in.Where); err != nil {
			return Resolved{}, err
		}
		o := *src.OIDC
		return Resolved{OIDC: &o, Source: o.Label()}, nil
	}
	if in.APIToken != nil && in.APIToken.From != nil && in.APIToken.From.Env != "" {
		if owner := tokenEnvOwner(in.Servers, in.APIToken.From.Env, in.Server); owner != "" {
			env := in.APIToken.From.Env
			return Resolved{}, &Error{Kind: Unsafe, What: what,
				Why: fmt.Sprintf("api_token.from.env (%s) names %s, which holds the token of server %q (client.yaml); a token is valid only on the server that issued it, and sending it to %s would hand it to that server", in.Where, env, owner, in.Server),
				Fix: fmt.Sprintf("give %s its own token: haloy server add %s --token-stdin, then remove api_token from %s (or point from.env at a variable that holds %s's token)", in.Server, in.Server, in.File, in.Server)}
		}
	}
	if in.APIToken != nil {
		r, err := resolveValue("api_token", in.Where, in.File, in.APIToken.Value, in.APIToken.From, in.Env, in.Secrets)
		if err != nil {
			if e, ok := err.(*Error); ok {
				c := *e
				c.What, c.Why = what, e.Error()
				return Resolved{}, &c
			}
			return Resolved{}, err
		}
		if err := ValidateToken(r.Value.Reveal()); err != nil {
			return Resolved{}, notAToken(what, r.Source, err)
		}
		if literal(in.APIToken) {
			r.Warning = "api_token.value in " + in.Where + " is a token written into a config file, which is unsafe: " +
				"anyone who can read the file or its repository can deploy with it; " +
				"use api_token.from.env (the token in the environment or a .env file) or api_token.from.secret (a secret provider such as 1Password) instead"
		}
		return r, nil
	}
	key, known := ServerKey(in.Servers, in.Server)
	ref := in.Servers[key]
	if known && ref.TokenEnv != "" {
		if v, layer, ok := in.Env.Lookup(ref.TokenEnv); ok {
			src := "client store " + ref.TokenEnv + layerNote(layer)
			if err := ValidateToken(v); err != nil {
				return Resolved{}, notAToken(what, src, err)
			}
			return Resolved{Value: Secret(v), Source: src}, nil
		}
	}
	if v, layer, ok := in.Env.Lookup(HaloyAPITokenEnv); ok {
		src := "fallback " + HaloyAPITokenEnv + layerNote(layer)
		if err := ValidateToken(v); err != nil {
			return Resolved{}, notAToken(what, src, err)
		}
		return Resolved{Value: Secret(v), Source: src}, nil
	}
	if known && ref.TokenEnv != "" {
		return Resolved{}, &Error{Kind: Missing, What: what,
			Why: "client.yaml names " + ref.TokenEnv + " for it, which is set neither in the environment nor in the config directory's .env",
			Fix: "haloy server add " + in.Server + " --force --token-stdin, or export " + ref.TokenEnv + "=<token>"}
	}
	return Resolved{}, &Error{Kind: Missing, What: what,
		Why: "the server is not in the client config, " + in.File + " sets no api_token:, and " + HaloyAPITokenEnv + " is not set",
		Fix: "haloy server list; haloy server add " + in.Server + " --token-stdin"}
}

// tokenEnvOwner returns the configured server, other than server, whose
// token client.yaml keeps in env, or "".
func tokenEnvOwner(servers map[string]ServerRef, env, server string) string {
	self, _ := ServerKey(servers, server)
	names := make([]string, 0, len(servers))
	for name := range servers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name != self && name != server && servers[name].TokenEnv == env {
			return name
		}
	}
	return ""
}

// notAToken reports a token found at src that ValidateToken refuses (a
// placeholder such as your_token_here, whitespace): the same rule for every
// way a token enters. The message quotes the token only when it is a
// recognized placeholder, which is not a secret.
func notAToken(what, src string, err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	return &Error{Kind: Invalid, What: what, Why: e.What + " (" + src + "): " + e.Why,
		Fix: "put the real API token there (" + src + "); the server's administrator issues it with haloyadm api token"}
}

// ResolveEnv resolves the values of a target's env entries, in order, then
// replaces each ${NAME} in a literal value by the value of the target's env
// entry NAME (Interpolate's rules). It returns every failure, not just the
// first; a failed entry is left out of the result. where gives the
// "file:line" of entry i.
func ResolveEnv(entries []EnvVar, where func(i int) string, file string, env Env, secrets SecretInputs) ([]ResolvedEnvVar, []error) {
	var out []ResolvedEnvVar
	var errs []error
	for i, e := range entries {
		what := "env entry " + e.Name
		r, err := resolveValue(what, where(i), file, e.Value, e.From, env, secrets)
		if err != nil {
			if ce, ok := err.(*Error); ok && !strings.HasPrefix(ce.What, what) {
				c := *ce
				c.What = what + ": " + c.What
				err = &c
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, ResolvedEnvVar{Name: e.Name, Resolved: r})
	}
	out, ierrs := interpolate(entries, out, where)
	return out, append(errs, ierrs...)
}

// ResolveValue resolves one value source (a registry's username or
// password) like an env entry: what names it in messages, where is its
// "file:line".
func ResolveValue(what, where, file string, v ValueSource, env Env, secrets SecretInputs) (Resolved, error) {
	r, err := resolveValue(what, where, file, v.Value, v.From, env, secrets)
	if ce, ok := err.(*Error); ok && !strings.HasPrefix(ce.What, what) {
		c := *ce
		c.What = what + ": " + c.What
		err = &c
	}
	return r, err
}

// ResolvedEnvVar is an env entry with its value found.
type ResolvedEnvVar struct {
	Name string
	Resolved
}

// literal reports whether a token's value is written in the config itself.
func literal(t *APITokenConfig) bool {
	return t.Value != "" && (t.From == nil || t.From.Env == "" && t.From.Secret == "")
}

func layerNote(layer string) string {
	if layer == "" {
		return ""
	}
	return " (set in " + layer + ")"
}

// resolveValue finds the value of an api_token or env entry at where; what
// names it in messages ("api_token" or "env entry NAME").
func resolveValue(what, where, file string, value Secret, from *ValueFrom, env Env, secrets SecretInputs) (Resolved, error) {
	n := 0
	if value != "" {
		n++
	}
	if from != nil && from.Env != "" {
		n++
	}
	if from != nil && from.Secret != "" {
		n++
	}
	if from != nil && from.OIDC != nil {
		return Resolved{}, &Error{Kind: Invalid, What: what + " sets from.oidc (" + where + ")",
			Why: "a CI identity stands in for an API token only", Fix: "use from.env or from.secret here; from.oidc goes under api_token"}
	}
	if n > 1 {
		return Resolved{}, &Error{Kind: Invalid, What: what + " sets several values (" + where + ")",
			Why: "from.env, from.secret and value exclude each other", Fix: "keep exactly one of them"}
	}
	switch {
	case from != nil && from.Env != "":
		if !envNameRE.MatchString(from.Env) {
			return Resolved{}, &Error{Kind: Invalid, What: fromEnvLabel(what) + " names " + strconv.Quote(from.Env) + " (" + where + "), which is not a variable name",
				Why: "from.env takes the variable's name alone: letters, digits and '_', not starting with a digit, without $ or braces",
				Fix: "write from.env: " + SuggestEnvName(strings.Trim(from.Env, "${} "))}
		}
		v, layer, ok := env.Lookup(from.Env)
		if !ok {
			return Resolved{}, &Error{Kind: Missing, What: fromEnvLabel(what) + " names " + from.Env + " (" + where + "), which is not set",
				Why: "it is unset or empty in the environment and in every .env file haloy reads",
				Fix: "export " + from.Env + "=<value>, or add " + from.Env + "=<value> to .env beside " + file}
		}
		return Resolved{Value: Secret(v), Source: "from env " + from.Env + layerNote(layer)}, nil
	case from != nil && from.Secret != "":
		return resolveSecret(where, from.Secret, secrets)
	case value != "":
		return Resolved{Value: value, Source: "literal value in " + where}, nil
	}
	return Resolved{}, &Error{Kind: Invalid, What: what + " sets no value (" + where + ")",
		Why: "it needs one of from.env, from.secret or value", Fix: "set from.env: VARIABLE_NAME"}
}

// fromEnvLabel names a from.env setting: "api_token.from.env", "env entry DB: from.env".
func fromEnvLabel(what string) string {
	if what == "api_token" {
		return "api_token.from.env"
	}
	return what + ": from.env"
}

func resolveSecret(where, raw string, secrets SecretInputs) (Resolved, error) {
	ref, err := ParseSecretRef(raw)
	if err != nil {
		return Resolved{}, withWhere(err, where)
	}
	src, err := secrets.Providers.Lookup(ref)
	if err != nil {
		return Resolved{}, withWhere(err, where)
	}
	src.Dir = secrets.Dir
	f, ok := secrets.Fetched[src.Key()]
	if !ok {
		return Resolved{}, &Error{Kind: Internal, What: "secret source " + strconv.Quote(src.Name) + " was not fetched before resolution"}
	}
	if f.Err != nil {
		return Resolved{}, f.Err
	}
	v, ok := f.Fields[ref.Key]
	if !ok {
		labels := sortedNames(f.Fields)
		e := &Error{Kind: NotFound, What: "field " + strconv.Quote(ref.Key) + " not found in " + f.Label + " (" + where + ")"}
		if len(labels) == 0 {
			e.Why = "the item has no fields"
			e.Fix = "add a field labelled " + ref.Key + " to the item"
		} else {
			e.Why = "its field labels: " + strings.Join(labels, ", ")
			if c := Closest(ref.Key, labels); c != "" {
				e.Fix = "did you mean " + strconv.Quote(ref.Provider+":"+ref.Source+":"+c) + "?"
			} else {
				e.Fix = "use one of those labels after " + strconv.Quote(ref.Provider+":"+ref.Source+":")
			}
		}
		return Resolved{}, e
	}
	if v == "" {
		return Resolved{}, &Error{Kind: Missing, What: "field " + strconv.Quote(ref.Key) + " of " + f.Label + " is empty (" + where + ")",
			Why: "an empty value cannot be used", Fix: "fill in the field in " + f.Label}
	}
	return Resolved{Value: v, Source: f.Label + " field " + ref.Key}, nil
}

func withWhere(err error, where string) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.What += " (" + where + ")"
		return &c
	}
	return err
}
