package core

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SecretRef points at one field of one secret source, as written in an app
// config: "onepassword:api-tokens:production" (the form Haloy uses now) or
// "onepassword:api-tokens.production" (the form of Haloy's authentication
// guide). Both forms mean the same reference.
type SecretRef struct {
	// Provider names the secret provider, e.g. "onepassword".
	Provider string
	// Source names an entry under the provider in secret_providers, e.g. "api-tokens".
	Source string
	// Key is the field label within the source's item, e.g. "production".
	Key string
}

// String returns the reference in the colon form.
func (r SecretRef) String() string { return r.Provider + ":" + r.Source + ":" + r.Key }

// refFix is the hint for every malformed reference.
const refFix = "write it as <provider>:<source>:<key>, e.g. onepassword:api-tokens:production"

// ParseSecretRef parses "<provider>:<source>:<key>" or "<provider>:<source>.<key>".
// In the dot form the source ends at the first dot, so a source whose name
// holds a dot needs the colon form; a key may hold dots in either form.
// Returns a *Error of Kind Invalid naming the reference when it is malformed.
func ParseSecretRef(raw string) (SecretRef, error) {
	bad := func(why string) (SecretRef, error) {
		return SecretRef{}, &Error{Kind: Invalid, What: "malformed secret reference " + strconv.Quote(raw), Why: why, Fix: refFix}
	}
	if raw == "" {
		return bad("it is empty")
	}
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, "\t\n\r") {
		return bad("it has whitespace at an end or a line break")
	}
	provider, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return bad("it has no provider prefix such as onepassword:")
	}
	if provider == "" {
		return bad("the provider before the first colon is empty")
	}
	if !isRefName(provider) {
		return bad("the provider " + strconv.Quote(provider) + " may hold only letters, digits, '-' and '_'")
	}
	if strings.HasPrefix(rest, "//") {
		return bad("it looks like a URL or an op:// reference; haloy names a source from secret_providers instead")
	}
	source, key, ok := strings.Cut(rest, ":")
	if !ok {
		source, key, ok = strings.Cut(rest, ".")
	}
	if !ok {
		return bad("it names no key: expected <source>:<key> after " + strconv.Quote(provider+":"))
	}
	if source == "" {
		return bad("the source name is empty")
	}
	if key == "" {
		return bad("the key (field label) is empty")
	}
	return SecretRef{Provider: provider, Source: source, Key: key}, nil
}

func isRefName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// SecretSourceRef names one secret item: a source declared under a provider
// in the app config's secret_providers, with its settings as written (for
// 1Password: vault, item and an optional account; for SOPS: file and
// format). Core does not interpret the settings: each provider's adapter
// does, so that a new provider needs no change here.
type SecretSourceRef struct {
	// Provider is the provider's name, e.g. "onepassword".
	Provider string
	// Name is the source's name under the provider, e.g. "api-tokens".
	Name string
	// Settings are the source's settings whose value is one string, e.g.
	// vault and item (a number or a boolean is written as text).
	Settings map[string]string
	// Lists are the settings whose value is a list of strings, e.g. a
	// command and its arguments.
	Lists map[string][]string
	// Dir is the directory of the config file that declares the source: a
	// relative path in a setting (a SOPS file) is relative to it. Empty
	// means the current directory.
	Dir string
}

// Key identifies the item the source points at: the provider and its
// settings, not the source's name, so that two sources naming the same item
// are fetched once.
func (s SecretSourceRef) Key() string {
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strconv.Quote(s.Provider))
	for _, k := range keys {
		b.WriteString(" " + strconv.Quote(k) + "=" + strconv.Quote(s.Settings[k]))
	}
	for _, k := range sortedNames(s.Lists) {
		b.WriteString(" " + strconv.Quote(k) + "=[")
		for i, v := range s.Lists[k] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(v))
		}
		b.WriteString("]")
	}
	if s.Dir != "" {
		b.WriteString(" dir=" + strconv.Quote(s.Dir))
	}
	return b.String()
}

// Lookup finds the source a reference names in the config's providers.
// Returns a *Error of Kind NotFound when the provider or the source is not
// declared, with the closest declared name.
func (p SecretProviders) Lookup(ref SecretRef) (SecretSourceRef, error) {
	sources, ok := p[ref.Provider]
	if !ok {
		names := sortedNames(p)
		e := &Error{Kind: NotFound, What: "unknown secret provider " + strconv.Quote(ref.Provider) + " in " + strconv.Quote(ref.String())}
		switch {
		case len(names) == 0:
			e.Why = "the config declares no secret_providers"
			e.Fix = "declare the source under secret_providers, e.g. secret_providers: {onepassword: {" + ref.Source + ": {vault: <vault>, item: <item>}}}"
		default:
			e.Why = "declared providers: " + strings.Join(names, ", ")
			if c := Closest(ref.Provider, names); c != "" {
				e.Fix = "did you mean " + strconv.Quote(c+":"+ref.Source+":"+ref.Key) + "?"
			}
		}
		return SecretSourceRef{}, e
	}
	settings, ok := sources[ref.Source]
	if !ok {
		names := sortedNames(sources)
		e := &Error{Kind: NotFound, What: "unknown secret source " + strconv.Quote(ref.Source) + " in " + strconv.Quote(ref.String())}
		if len(names) == 0 {
			e.Why = "no sources are declared under secret_providers." + ref.Provider
		} else {
			e.Why = "sources under secret_providers." + ref.Provider + ": " + strings.Join(names, ", ")
		}
		if c := Closest(ref.Source, names); c != "" {
			e.Fix = "did you mean " + strconv.Quote(ref.Provider+":"+c+":"+ref.Key) + "?"
		} else {
			e.Fix = "declare it: secret_providers: {" + ref.Provider + ": {" + ref.Source + ": {vault: <vault>, item: <item>}}}"
		}
		return SecretSourceRef{}, e
	}
	return settings.Ref(ref.Provider, ref.Source)
}

// Ref returns the source's settings as a SecretSourceRef of provider and
// name, each value a string or a list of strings. Returns a *Error of Kind
// Invalid for any other value (a mapping, a list of mappings). The caller
// sets Dir.
func (s SourceSettings) Ref(provider, name string) (SecretSourceRef, error) {
	out := SecretSourceRef{Provider: provider, Name: name, Settings: map[string]string{}}
	for _, k := range sortedNames(s) {
		switch v := s[k].(type) {
		case string:
			out.Settings[k] = v
		case []string:
			out.addList(k, v)
		case []any:
			list := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := scalarText(e)
				if !ok {
					return SecretSourceRef{}, badSetting(provider, name, k)
				}
				list = append(list, str)
			}
			out.addList(k, list)
		default:
			str, ok := scalarText(v)
			if !ok {
				return SecretSourceRef{}, badSetting(provider, name, k)
			}
			out.Settings[k] = str
		}
	}
	return out, nil
}

func (s *SecretSourceRef) addList(k string, v []string) {
	if s.Lists == nil {
		s.Lists = map[string][]string{}
	}
	s.Lists[k] = v
}

func badSetting(provider, name, key string) error {
	at := "secret_providers." + provider + "." + name + "." + key
	return &Error{Kind: Invalid, What: at + " is neither a string nor a list of strings",
		Why: "a secret source's settings are strings (vault: Infrastructure) or lists of strings (command: [prog, arg])",
		Fix: "write " + at + " as a string"}
}

// scalarText is the text of a string, number or boolean setting.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// onePasswordSettings are the keys a 1Password source accepts.
var onePasswordSettings = []string{"vault", "item", "account"}

// DescribeOnePassword checks a 1Password source's settings (vault and item
// required, account optional, nothing else) and names the item it points
// at, e.g. "1Password Infrastructure/Haloy API Tokens". Returns a *Error
// of Kind Invalid, with the closest known key for a misspelt one.
func DescribeOnePassword(src SecretSourceRef) (string, error) {
	at := "secret_providers." + src.Provider + "." + src.Name
	keys := make([]string, 0, len(src.Settings))
	for k := range src.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(onePasswordSettings, k) {
			e := &Error{Kind: Invalid, What: "unknown setting " + strconv.Quote(k) + " in " + at,
				Why: "a 1Password source takes vault, item and optionally account"}
			if c := Closest(k, onePasswordSettings); c != "" {
				e.Fix = "did you mean " + strconv.Quote(c) + "?"
			} else {
				e.Fix = "remove " + k + " from " + at
			}
			return "", e
		}
	}
	for _, k := range []string{"vault", "item"} {
		if strings.TrimSpace(src.Settings[k]) == "" {
			return "", &Error{Kind: Invalid, What: at + " has no " + k,
				Why: "a 1Password source needs both vault and item", Fix: "add " + k + ": <name> under " + at}
		}
	}
	label := "1Password " + src.Settings["vault"] + "/" + src.Settings["item"]
	if a := src.Settings["account"]; a != "" {
		label += " (account " + a + ")"
	}
	return label, nil
}
