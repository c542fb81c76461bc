package core

import (
	"fmt"
	"strconv"
	"strings"
)

// AppConfig is an app's haloy.yaml (or .yml, .json): the base settings, the
// named targets that inherit from them, and the secret providers its
// references point into. The yaml tags give the file's keys; the loader
// also accepts secretProviders, the other spelling Haloy has used.
type AppConfig struct {
	// TargetConfig holds the base settings every target inherits.
	TargetConfig `yaml:",inline"`
	// Targets maps a target's name to the settings it overrides.
	Targets map[string]TargetConfig `yaml:"targets,omitempty"`
	// SecretProviders declares the sources that from.secret references name.
	SecretProviders SecretProviders `yaml:"secret_providers,omitempty"`

	// File is the config file's path as the user gave or found it; set by the loader.
	File string `yaml:"-"`
	// Lines maps a dotted key path ("targets.production.api_token") to its
	// line in File, for error messages; set by the loader, may be nil.
	Lines map[string]int `yaml:"-"`
}

// TargetConfig is the part of an app config a target can set. A target's
// field replaces the base's; env is merged by name.
type TargetConfig struct {
	Name     string          `yaml:"name,omitempty"`
	Server   string          `yaml:"server,omitempty"`
	APIToken *APITokenConfig `yaml:"api_token,omitempty"`
	Image    *Image          `yaml:"image,omitempty"`
	Domains  []Domain        `yaml:"domains,omitempty"`
	Env      []EnvVar        `yaml:"env,omitempty"`
}

// APITokenConfig says where a target's API token comes from: exactly one of a
// literal value (unsafe, warned about) or a from reference.
type APITokenConfig struct {
	Value Secret     `yaml:"value,omitempty"`
	From  *ValueFrom `yaml:"from,omitempty"`
}

// ValueFrom points at a value outside the config: exactly one of an
// environment variable or a secret reference.
type ValueFrom struct {
	Env    string `yaml:"env,omitempty"`
	Secret string `yaml:"secret,omitempty"`
}

// EnvVar is an environment variable the app gets: a literal value, or one
// read from the environment or a secret provider.
type EnvVar struct {
	Name  string     `yaml:"name"`
	Value Secret     `yaml:"value,omitempty"`
	From  *ValueFrom `yaml:"from,omitempty"`
}

// SecretProviders maps a provider ("onepassword") to its sources, each
// source's name to its settings (for 1Password: vault, item, account).
type SecretProviders map[string]map[string]map[string]string

// baseTarget is the target name of a config without targets.
const baseTarget = ""

// TargetNames returns the config's target names, sorted.
func (c *AppConfig) TargetNames() []string { return sortedNames(c.Targets) }

// Target returns the settings of the named target merged over the base:
// each field the target sets replaces the base's (lists such as domains
// whole), and env is merged by name, the target's entry winning in the
// base's position. The name "" gives the base alone.
func (c *AppConfig) Target(name string) TargetConfig {
	b := c.TargetConfig
	t, ok := c.Targets[name]
	if !ok {
		return b
	}
	m := b
	if t.Name != "" {
		m.Name = t.Name
	}
	if t.Server != "" {
		m.Server = t.Server
	}
	if t.APIToken != nil {
		m.APIToken = t.APIToken
	}
	if t.Image != nil {
		m.Image = t.Image
	}
	if t.Domains != nil {
		m.Domains = t.Domains
	}
	if t.Env != nil {
		m.Env = mergeEnv(b.Env, t.Env)
	}
	return m
}

func mergeEnv(base, over []EnvVar) []EnvVar {
	idx := make(map[string]int, len(over))
	for i, e := range over {
		idx[e.Name] = i
	}
	out := make([]EnvVar, 0, len(base)+len(over))
	used := make(map[string]bool, len(over))
	for _, e := range base {
		if i, ok := idx[e.Name]; ok {
			if !used[e.Name] {
				out = append(out, over[i])
				used[e.Name] = true
			}
			continue
		}
		out = append(out, e)
	}
	for _, e := range over {
		if !used[e.Name] {
			out = append(out, e)
			used[e.Name] = true
		}
	}
	return out
}

// Where returns "file:line" for a dotted key path of the config, or the
// file alone when the line is unknown.
func (c *AppConfig) Where(path string) string {
	if n, ok := c.Lines[path]; ok && n > 0 {
		return fmt.Sprintf("%s:%d", c.fileName(), n)
	}
	return c.fileName()
}

func (c *AppConfig) fileName() string {
	if c.File == "" {
		return "haloy.yaml"
	}
	return c.File
}

// FieldPath returns the dotted key path of field as target sees it: under
// targets.<target> when the target sets the field, else at the top level.
// field is one of name, server, api_token, image, domains, env.
func (c *AppConfig) FieldPath(target, field string) string {
	t, ok := c.Targets[target]
	if !ok {
		return field
	}
	set := map[string]bool{
		"name": t.Name != "", "server": t.Server != "", "api_token": t.APIToken != nil,
		"image": t.Image != nil, "domains": t.Domains != nil, "env": t.Env != nil,
	}[field]
	if set {
		return "targets." + target + "." + field
	}
	return field
}

// ChooseTargets turns the -t/--target names (repeatable, comma-separated)
// and -a/--all into the targets to act on, in the order given (sorted for
// --all). A config without targets yields the base, named "". With neither
// flag: every target, unless requireSingle (commands that act on servers),
// in which case a config with several targets is an error listing them.
// Returns a *Error of Kind NotFound for an unknown name, with the closest.
func (c *AppConfig) ChooseTargets(names []string, all, requireSingle bool) ([]string, error) {
	var want []string
	for _, n := range names {
		for _, p := range strings.Split(n, ",") {
			if p = strings.TrimSpace(p); p != "" && !containsName(want, p) {
				want = append(want, p)
			}
		}
	}
	if all && len(want) > 0 {
		return nil, &Error{Kind: Invalid, What: "both --target and --all given",
			Why: "--all already selects every target", Fix: "drop one of them"}
	}
	known := c.TargetNames()
	if len(known) == 0 {
		if len(want) > 0 {
			return nil, &Error{Kind: NotFound, What: "unknown target " + strconv.Quote(want[0]),
				Why: c.fileName() + " defines no targets", Fix: "drop --target, or add the target under targets: in " + c.fileName()}
		}
		return []string{baseTarget}, nil
	}
	if len(want) > 0 {
		for _, w := range want {
			if _, ok := c.Targets[w]; !ok {
				e := &Error{Kind: NotFound, What: "unknown target " + strconv.Quote(w),
					Why: "targets in " + c.fileName() + ": " + strings.Join(known, ", ")}
				if cl := Closest(w, known); cl != "" {
					e.Fix = "did you mean " + strconv.Quote(cl) + "? use --target " + cl
				} else {
					e.Fix = "use one of: --target " + strings.Join(known, ", --target ")
				}
				return nil, e
			}
		}
		return want, nil
	}
	if all || !requireSingle || len(known) == 1 {
		return known, nil
	}
	return nil, &Error{Kind: Invalid, What: fmt.Sprintf("%s has %d targets: %s", c.fileName(), len(known), strings.Join(known, ", ")),
		Why: "this command acts on servers and needs to know which targets to use",
		Fix: "pass --target " + known[0] + " (repeatable, or comma-separated), or --all for every target"}
}

func containsName(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Check returns every problem of the merged settings of target that
// resolution does not report: no app name, an env entry without a name or
// listed twice, a domain left empty, an image without a repository. Each is
// a *Error naming the file and line. ResolveToken and ResolveEnv report the
// problems of api_token and env values.
func (c *AppConfig) Check(target string) []error {
	t := c.Target(target)
	var errs []error
	if strings.TrimSpace(t.Name) == "" {
		errs = append(errs, &Error{Kind: Missing, What: "no app name",
			Why: c.fileName() + " sets no name:", Fix: "add a line to " + c.fileName() + ": name: my-app"})
	}
	p := c.FieldPath(target, "env")
	seen := map[string]bool{}
	for i, e := range t.Env {
		ep := fmt.Sprintf("%s.%d", p, i)
		if c.Targets[target].Env != nil && !containsEnv(c.Targets[target].Env, e.Name) {
			ep = fmt.Sprintf("env.%d", indexEnv(c.Env, e.Name))
		}
		if strings.TrimSpace(e.Name) == "" {
			errs = append(errs, &Error{Kind: Invalid, What: "env entry without a name at " + c.Where(ep),
				Why: "every env entry needs name:", Fix: "add name: VARIABLE_NAME to the entry"})
			continue
		}
		if seen[e.Name] {
			errs = append(errs, &Error{Kind: Invalid, What: "env variable " + strconv.Quote(e.Name) + " is listed twice (" + c.Where(ep) + ")",
				Why: "each variable may appear once", Fix: "remove one of the entries"})
		}
		seen[e.Name] = true
	}
	dp := c.FieldPath(target, "domains")
	for i, d := range t.Domains {
		if strings.TrimSpace(d.Domain) == "" {
			errs = append(errs, &Error{Kind: Invalid, What: "domain entry without a domain at " + c.Where(fmt.Sprintf("%s.%d", dp, i)),
				Why: "every domains entry needs domain:", Fix: "add domain: app.example.com to the entry, or remove it"})
		}
	}
	if c.Image != nil || t.Image != nil {
		ip := c.FieldPath(target, "image")
		if t.Image != nil && strings.TrimSpace(t.Image.Repository) == "" {
			errs = append(errs, &Error{Kind: Invalid, What: "image without a repository at " + c.Where(ip),
				Why: "image needs repository:", Fix: "add repository: my-org/my-app under image:"})
		}
	}
	return errs
}

func containsEnv(env []EnvVar, name string) bool { return indexEnv(env, name) >= 0 }

func indexEnv(env []EnvVar, name string) int {
	for i, e := range env {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// Closest returns the candidate nearest to s by edit distance (ignoring
// case), or "" when none is near enough to be a likely typo. A candidate
// that s is the start of ("prod" for "production") counts when it is the
// only one.
func Closest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	var prefixed []string
	for _, c := range candidates {
		if len(ls) >= 2 && strings.HasPrefix(strings.ToLower(c), ls) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len([]rune(s))/3)
	if bestD < 0 || bestD > limit || bestD >= len([]rune(s)) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b, over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
