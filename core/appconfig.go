package core

import (
	"fmt"
	"strconv"
	"strings"
)

// AppConfig is an app's haloy.json, haloy.yaml, haloy.yml or haloy.toml:
// the base settings, the named targets that inherit from them, the named
// images targets can pick with image_key, and the secret providers its
// references point into. The yaml (and toml) tags give the snake_case keys of
// YAML and TOML files, the json tags the camelCase keys of haloy.json, both
// exactly as Haloy spells them; the loader also accepts secretProviders in
// YAML, the spelling of Haloy's authentication guide.
type AppConfig struct {
	// TargetConfig holds the base settings every target inherits.
	TargetConfig `yaml:",inline" toml:",inline"`
	// Images maps a name to an image that targets select with image_key.
	Images map[string]*Image `yaml:"images,omitempty" json:"images,omitempty" toml:"images,omitempty"`
	// Targets maps a target's name to the settings it overrides.
	Targets map[string]TargetConfig `yaml:"targets,omitempty" json:"targets,omitempty" toml:"targets,omitempty"`
	// SecretProviders declares the sources that from.secret references name.
	SecretProviders SecretProviders `yaml:"secret_providers,omitempty" json:"secretProviders,omitempty" toml:"secret_providers,omitempty"`
	// GlobalPreDeploy and GlobalPostDeploy are commands run once before
	// (after) all targets are deployed.
	GlobalPreDeploy  []string `yaml:"global_pre_deploy,omitempty" json:"globalPreDeploy,omitempty" toml:"global_pre_deploy,omitempty"`
	GlobalPostDeploy []string `yaml:"global_post_deploy,omitempty" json:"globalPostDeploy,omitempty" toml:"global_post_deploy,omitempty"`

	// File is the config file's path as the user gave or found it; set by the loader.
	File string `yaml:"-" json:"-" toml:"-"`
	// Format is "json", "yaml" or "toml"; set by the loader. It chooses
	// the spelling of key names in messages.
	Format string `yaml:"-" json:"-" toml:"-"`
	// Skipped are the other config files of the directory the loader
	// searched, which it did not read because File comes first.
	Skipped []string `yaml:"-" json:"-" toml:"-"`
	// Lines maps a dotted key path ("targets.production.api_token") to its
	// line in File, for error messages; set by the loader, may be nil.
	// Paths use the snake_case names whatever the format.
	Lines map[string]int `yaml:"-" json:"-" toml:"-"`
}

// TargetConfig is the part of an app config a target can set, and, once
// merged (AppConfig.Resolve), everything one deployment of the app needs.
// Its json encoding is Haloy's targetConfig.
type TargetConfig struct {
	// Name is the app's name. A target without one is named after its key.
	Name string `yaml:"name,omitempty" json:"name,omitempty" toml:"name,omitempty"`
	// Preset applies the defaults of a kind of app: database or service.
	Preset Preset `yaml:"preset,omitempty" json:"preset,omitempty" toml:"preset,omitempty"`
	// Image is the image to run; "nginx:1.27" is short for {repository: nginx, tag: "1.27"}.
	Image *Image `yaml:"image,omitempty" json:"image,omitempty" toml:"image,omitempty"`
	// ImageKey picks an image from AppConfig.Images instead of Image.
	ImageKey string `yaml:"image_key,omitempty" json:"imageKey,omitempty" toml:"image_key,omitempty"`
	// Server is the server to deploy to.
	Server string `yaml:"server,omitempty" json:"server,omitempty" toml:"server,omitempty"`
	// APIToken says where the server's API token comes from.
	APIToken *APITokenConfig `yaml:"api_token,omitempty" json:"apiToken,omitempty" toml:"api_token,omitempty"`
	// DeploymentStrategy is rolling (the default) or replace.
	DeploymentStrategy DeploymentStrategy `yaml:"deployment_strategy,omitempty" json:"deploymentStrategy,omitempty" toml:"deployment_strategy,omitempty"`
	// NamingStrategy is dynamic (the default) or static.
	NamingStrategy NamingStrategy `yaml:"naming_strategy,omitempty" json:"namingStrategy,omitempty" toml:"naming_strategy,omitempty"`
	// Protected targets are skipped by --all unless asked for.
	Protected *bool `yaml:"protected,omitempty" json:"protected,omitempty" toml:"protected,omitempty"`
	// Domains are the domains the app answers on.
	Domains []Domain `yaml:"domains,omitempty" json:"domains,omitempty" toml:"domains,omitempty"`
	// Env are the app's environment variables.
	Env []EnvVar `yaml:"env,omitempty" json:"env,omitempty" toml:"env,omitempty"`
	// HealthCheckPath is the path the server polls; "/" by default.
	HealthCheckPath string `yaml:"health_check_path,omitempty" json:"healthCheckPath,omitempty" toml:"health_check_path,omitempty"`
	// MinReadySeconds is how long a new container must stay healthy (0 to 600).
	MinReadySeconds *int `yaml:"min_ready_seconds,omitempty" json:"minReadySeconds,omitempty" toml:"min_ready_seconds,omitempty"`
	// Port is the container's port, written as a number or a string; "8080" by default.
	Port Port `yaml:"port,omitempty" json:"port,omitempty" toml:"port,omitempty"`
	// Replicas is the number of containers; 1 by default.
	Replicas *int `yaml:"replicas,omitempty" json:"replicas,omitempty" toml:"replicas,omitempty"`
	// Volumes are Docker volume mappings, "source:/container/path[:options]".
	Volumes []string `yaml:"volumes,omitempty" json:"volumes,omitempty" toml:"volumes,omitempty"`
	// Network is the Docker network to attach the containers to.
	Network string `yaml:"network,omitempty" json:"network,omitempty" toml:"network,omitempty"`
	// PreDeploy and PostDeploy are commands run before (after) this target is deployed.
	PreDeploy  []string `yaml:"pre_deploy,omitempty" json:"preDeploy,omitempty" toml:"pre_deploy,omitempty"`
	PostDeploy []string `yaml:"post_deploy,omitempty" json:"postDeploy,omitempty" toml:"post_deploy,omitempty"`
}

// Preset names a set of defaults for a kind of app.
type Preset string

// The presets Haloy knows.
const (
	PresetDatabase Preset = "database"
	PresetService  Preset = "service"
)

// DeploymentStrategy says how a new version replaces the running one.
type DeploymentStrategy string

// The deployment strategies.
const (
	// DeploymentRolling starts the new containers before stopping the old ones.
	DeploymentRolling DeploymentStrategy = "rolling"
	// DeploymentReplace stops the old containers first.
	DeploymentReplace DeploymentStrategy = "replace"
)

// NamingStrategy says how containers are named.
type NamingStrategy string

// The naming strategies.
const (
	// NamingDynamic names containers after the app and the deployment.
	NamingDynamic NamingStrategy = "dynamic"
	// NamingStatic names the container after the app alone.
	NamingStatic NamingStrategy = "static"
)

// Port is a container port, written in a config as a number or a string.
type Port string

// Image names a container image and how to get it.
type Image struct {
	Repository string `yaml:"repository" json:"repository" toml:"repository"`
	Tag        string `yaml:"tag,omitempty" json:"tag,omitempty" toml:"tag,omitempty"`
	// PullPolicy is always (the default), if_missing or never.
	PullPolicy PullPolicy `yaml:"pull_policy,omitempty" json:"pullPolicy,omitempty" toml:"pull_policy,omitempty"`
	// History says how many earlier versions are kept for rollback.
	History *ImageHistory `yaml:"history,omitempty" json:"history,omitempty" toml:"history,omitempty"`
	// Registry holds the credentials of a private registry.
	Registry *RegistryAuth `yaml:"registry,omitempty" json:"registry,omitempty" toml:"registry,omitempty"`
	// Build asks for the image to be built locally.
	Build *bool `yaml:"build,omitempty" json:"build,omitempty" toml:"build,omitempty"`
	// BuildConfig says how to build it.
	BuildConfig *BuildConfig `yaml:"build_config,omitempty" json:"buildConfig,omitempty" toml:"build_config,omitempty"`

	// Short is set when the config wrote the image as one string
	// ("nginx:1.27"): on a target it then replaces the base's image whole,
	// tag included.
	Short bool `yaml:"-" json:"-" toml:"-"`
}

// UnmarshalYAML reads an image written as a mapping or, in the short form,
// as one string: "repository[:tag]" (a digest stays in the repository).
func (i *Image) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		*i = ParseImageRef(s)
		return nil
	}
	type plain Image
	return unmarshal((*plain)(i))
}

// ParseImageRef splits "ghcr.io/acme/app:v1" into repository and tag. A
// colon before the last slash is a registry's port, not a tag; a reference
// with a digest (@sha256:...) is kept whole as the repository.
func ParseImageRef(s string) Image {
	img := Image{Repository: s, Short: true}
	if strings.Contains(s, "@") {
		return img
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		img.Repository, img.Tag = s[:i], s[i+1:]
	}
	return img
}

// Ref returns "repository:tag", with "latest" when no tag is set, as
// Docker reads it.
func (i *Image) Ref() string {
	if i.Tag == "" {
		if strings.Contains(i.Repository, "@") {
			return i.Repository
		}
		return i.Repository + ":latest"
	}
	return i.Repository + ":" + i.Tag
}

// ShouldBuild reports whether the image is to be built locally: build:
// true, or a build_config without build: false.
func (i *Image) ShouldBuild() bool {
	if i.Build != nil {
		return *i.Build
	}
	return i.BuildConfig != nil
}

// PullPolicy says when the server pulls the image.
type PullPolicy string

// The pull policies.
const (
	PullAlways    PullPolicy = "always"
	PullIfMissing PullPolicy = "if_missing"
	PullNever     PullPolicy = "never"
)

// HistoryStrategy says where earlier versions of an image are kept.
type HistoryStrategy string

// The history strategies.
const (
	HistoryLocal    HistoryStrategy = "local"
	HistoryRegistry HistoryStrategy = "registry"
	HistoryNone     HistoryStrategy = "none"
)

// ImageHistory says how many earlier versions are kept for rollback.
type ImageHistory struct {
	Strategy HistoryStrategy `yaml:"strategy" json:"strategy" toml:"strategy"`
	Count    *int            `yaml:"count,omitempty" json:"count,omitempty" toml:"count,omitempty"`
	Pattern  string          `yaml:"pattern,omitempty" json:"pattern,omitempty" toml:"pattern,omitempty"`
}

// RegistryAuth holds a registry's credentials, each from a value source.
type RegistryAuth struct {
	// Server is the registry; by default the host of the image's repository.
	Server   string      `yaml:"server,omitempty" json:"server,omitempty" toml:"server,omitempty"`
	Username ValueSource `yaml:"username" json:"username" toml:"username"`
	Password ValueSource `yaml:"password" json:"password" toml:"password"`
}

// BuildConfig says how to build an image locally.
type BuildConfig struct {
	Context    string     `yaml:"context,omitempty" json:"context,omitempty" toml:"context,omitempty"`
	Dockerfile string     `yaml:"dockerfile,omitempty" json:"dockerfile,omitempty" toml:"dockerfile,omitempty"`
	Platform   string     `yaml:"platform,omitempty" json:"platform,omitempty" toml:"platform,omitempty"`
	Args       []BuildArg `yaml:"args,omitempty" json:"args,omitempty" toml:"args,omitempty"`
	// Push is server (upload the image to the server) or registry.
	Push BuildPush `yaml:"push,omitempty" json:"push,omitempty" toml:"push,omitempty"`
}

// BuildPush says where a built image goes.
type BuildPush string

// The push options.
const (
	PushServer   BuildPush = "server"
	PushRegistry BuildPush = "registry"
)

// BuildArg is a build argument with its value source.
type BuildArg struct {
	Name  string     `yaml:"name" json:"name" toml:"name"`
	Value Secret     `yaml:"value,omitempty" json:"value,omitempty" toml:"value,omitempty"`
	From  *ValueFrom `yaml:"from,omitempty" json:"from,omitempty" toml:"from,omitempty"`
}

// ValueSource is a value written in the config or read from elsewhere:
// exactly one of Value and From.
type ValueSource struct {
	Value Secret     `yaml:"value,omitempty" json:"value,omitempty" toml:"value,omitempty"`
	From  *ValueFrom `yaml:"from,omitempty" json:"from,omitempty" toml:"from,omitempty"`
}

// APITokenConfig says where a target's API token comes from: exactly one of a
// literal value (unsafe, warned about) or a from reference.
type APITokenConfig struct {
	Value Secret     `yaml:"value,omitempty" json:"value,omitempty" toml:"value,omitempty"`
	From  *ValueFrom `yaml:"from,omitempty" json:"from,omitempty" toml:"from,omitempty"`
}

// ValueFrom points at a value outside the config: exactly one of an
// environment variable or a secret reference.
type ValueFrom struct {
	Env    string `yaml:"env,omitempty" json:"env,omitempty" toml:"env,omitempty"`
	Secret string `yaml:"secret,omitempty" json:"secret,omitempty" toml:"secret,omitempty"`
	// OIDC is for api_token only: a CI job's identity token, traded at
	// the server for a short-lived token (docs/ci.md).
	OIDC *OIDCSource `yaml:"oidc,omitempty" json:"oidc,omitempty" toml:"oidc,omitempty"`
}

// EnvVar is an environment variable the app gets: a literal value, or one
// read from the environment or a secret provider. BuildArg also passes it
// to a local image build.
type EnvVar struct {
	Name     string     `yaml:"name" json:"name" toml:"name"`
	Value    Secret     `yaml:"value,omitempty" json:"value,omitempty" toml:"value,omitempty"`
	From     *ValueFrom `yaml:"from,omitempty" json:"from,omitempty" toml:"from,omitempty"`
	BuildArg bool       `yaml:"build_arg,omitempty" json:"buildArg,omitempty" toml:"build_arg,omitempty"`
}

// SecretProviders maps a provider ("onepassword", "sops") to its sources,
// each source's name to its settings (for 1Password: vault, item, account;
// for SOPS: file, format).
type SecretProviders map[string]map[string]SourceSettings

// SourceSettings are one secret source's settings as written: each value a
// string or a list of strings (a command and its arguments). Each
// provider's adapter says which keys it takes.
type SourceSettings map[string]any

// baseTarget is the target name of a config without targets.
const baseTarget = ""

// TargetNames returns the config's target names, sorted.
func (c *AppConfig) TargetNames() []string { return sortedNames(c.Targets) }

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

// Protected reports whether the named target ("" for the base) is
// protected: protected: true, its own or the base's, or preset: database,
// which implies it (as in Haloy).
func (c *AppConfig) Protected(name string) bool {
	t, _ := c.Resolve(name)
	return t.Protected != nil && *t.Protected
}

// LeaveOutProtected returns names without the protected targets, for -a/--all
// without --include-protected (Haloy leaves them out the same way), and the
// names left out. When every name is protected, nothing is left to deploy:
// it returns a *Error of Kind Invalid naming them and how to deploy them.
func (c *AppConfig) LeaveOutProtected(names []string) (kept, skipped []string, err error) {
	for _, n := range names {
		if c.Protected(n) {
			skipped = append(skipped, n)
		} else {
			kept = append(kept, n)
		}
	}
	if len(kept) > 0 || len(skipped) == 0 {
		return kept, skipped, nil
	}
	if len(skipped) == 1 && skipped[0] == "" {
		return nil, skipped, &Error{Kind: Invalid, What: "nothing to deploy: the app in " + c.fileName() + " is protected",
			Why: "--all leaves out protected targets (protected: true, or preset: database)",
			Fix: "drop --all, or add --include-protected"}
	}
	return nil, skipped, &Error{Kind: Invalid, What: "nothing to deploy: every target in " + c.fileName() + " is protected (" + strings.Join(skipped, ", ") + ")",
		Why: "--all leaves out protected targets (protected: true, or preset: database)",
		Fix: "name the ones to deploy with --target " + strings.Join(skipped, ",") + ", or add --include-protected"}
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

// KeyName spells key (snake_case, as in YAML and TOML) as the config's
// format does: camelCase in haloy.json, as Haloy names fields in its
// messages ("preDeploy hook failed" for a JSON config).
func (c *AppConfig) KeyName(key string) string {
	if c.Format != "json" {
		return key
	}
	parts := strings.Split(key, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
