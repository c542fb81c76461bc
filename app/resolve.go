package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// Resolve loads an app config and, for each chosen target, selects the
// server and resolves its API token and env values, without any network
// call. validate-config shows its result; deploy and status act on it.
type Resolve struct {
	configs  ports.AppConfigs
	envFiles ports.EnvFiles
	store    ports.ClientStore
	env      ports.Env
	secrets  ports.SecretSources
	notes    ports.Notifier
	// Timeout bounds fetching every secret item of one run.
	Timeout time.Duration
}

// NewResolve returns the use case.
func NewResolve(configs ports.AppConfigs, envFiles ports.EnvFiles, store ports.ClientStore, env ports.Env,
	secrets ports.SecretSources, notes ports.Notifier) *Resolve {
	return &Resolve{configs: configs, envFiles: envFiles, store: store, env: env, secrets: secrets, notes: notes,
		Timeout: 2 * time.Minute}
}

// ResolveInput says which config and targets to resolve.
type ResolveInput struct {
	// Config is the -c/--config path: a file, a directory, or "" for the current directory.
	Config string
	// Targets are the -t/--target names (repeatable, comma-separated).
	Targets []string
	// All is -a/--all.
	All bool
	// RequireSingle makes a config with several targets and neither flag an
	// error, for commands that act on servers.
	RequireSingle bool
	// LeaveOutProtected makes All leave out the protected targets, with a
	// warning naming them (deploy without --include-protected, as Haloy).
	LeaveOutProtected bool
}

// Resolution is the result for one config.
type Resolution struct {
	// File is the config file read.
	File string
	// Targets are the chosen targets, in the order chosen.
	Targets []ResolvedTarget
	// Errs are problems of the config as a whole, e.g. a secret source
	// with an unknown setting.
	Errs []error
	// SecretProviders are the config's secret providers, as written.
	SecretProviders core.SecretProviders
	// GlobalPreDeploy and GlobalPostDeploy are the config's commands run
	// once before (after) every target is deployed.
	GlobalPreDeploy, GlobalPostDeploy []string
	// Format is the config's format ("json", "yaml", "toml"), which
	// spells key names in messages.
	Format string
}

// KeyName spells key (snake_case) as the config's format does.
func (r Resolution) KeyName(key string) string {
	c := core.AppConfig{Format: r.Format}
	return c.KeyName(key)
}

// ResolvedTarget is one target, resolved. When Errs is not empty the other
// fields hold what could be resolved.
type ResolvedTarget struct {
	// App is the app's name; Target the target's ("" for a config without targets).
	App, Target string
	// Server is the selected server; ServerWhy says why it was chosen.
	Server, ServerWhy string
	// ServerAuto is set when the server was chosen because it is the only
	// one configured: callers tell the user.
	ServerAuto bool
	// Token is the API token; TokenSource says where it came from.
	Token       core.Secret
	TokenSource string
	// OIDC is set when the token is had at deploy time from the server, in
	// exchange for the CI job's identity (api_token.from.oidc); Token is
	// then empty.
	OIDC *core.OIDCSource
	// Config is the target's complete settings (core.AppConfig.Resolve):
	// merged over the base, image_key, preset and defaults applied, Server
	// the selected server. Its env entries hold the values as written;
	// Env holds them resolved.
	Config core.TargetConfig
	// Env holds the env entries' values, in order.
	Env []core.ResolvedEnvVar
	// Registry holds the image registry's credentials, resolved, when the
	// image names a registry; nil otherwise.
	Registry *ResolvedRegistry
	// Warnings were also sent to the notifier.
	Warnings []string
	// Errs are every problem found, not just the first.
	Errs []error
}

// ResolvedRegistry is an image registry's server and credentials.
type ResolvedRegistry struct {
	Server             string
	Username, Password core.Resolved
}

// Err joins every error of the resolution, each target's prefixed with its
// name; nil when everything resolved.
func (r Resolution) Err() error {
	errs := append([]error{}, r.Errs...)
	for _, t := range r.Targets {
		for _, e := range t.Errs {
			errs = append(errs, forTarget(t.Target, e))
		}
	}
	return errors.Join(errs...)
}

func forTarget(target string, err error) error {
	if target == "" {
		return err
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		c := *ce
		c.What = "target " + strconv.Quote(target) + ": " + c.What
		return &c
	}
	return fmt.Errorf("target %q: %w", target, err)
}

// Run resolves in. It returns an error only when nothing can be resolved
// (no config, a bad target name, an unreadable client config or .env
// file); every per-target problem is in the result.
func (uc *Resolve) Run(ctx context.Context, in ResolveInput) (Resolution, error) {
	cfg, err := uc.configs.Load(ctx, in.Config)
	if err != nil {
		return Resolution{}, err
	}
	if len(cfg.Skipped) > 0 {
		// Haloy reads the first of haloy.json, .yaml, .yml, .toml; say so,
		// since someone who edits the YAML beside a JSON sees no effect.
		uc.notes.Info("using " + cfg.File + "; not read: " + strings.Join(cfg.Skipped, ", ") +
			" (the first of haloy.json, haloy.yaml, haloy.yml, haloy.toml is used; pass --config to choose)")
	}
	names, err := cfg.ChooseTargets(in.Targets, in.All, in.RequireSingle)
	if err != nil {
		return Resolution{}, err
	}
	if in.All && in.LeaveOutProtected {
		var skipped []string
		if names, skipped, err = cfg.LeaveOutProtected(names); err != nil {
			return Resolution{}, err
		}
		if len(skipped) > 0 {
			uc.notes.Warn("leaving out protected targets: " + strings.Join(skipped, ", ") +
				" (--all deploys them only with --include-protected; --target " + strings.Join(skipped, ",") + " deploys them alone)")
		}
	}
	state, err := uc.store.Load(ctx)
	if err != nil {
		return Resolution{}, err
	}
	dir := filepath.Dir(cfg.File)
	shared, err := uc.envLayers(ctx, dir, ".env.local", ".env")
	if err != nil {
		return Resolution{}, err
	}
	res := Resolution{File: cfg.File, SecretProviders: cfg.SecretProviders, Format: cfg.Format,
		GlobalPreDeploy: cfg.GlobalPreDeploy, GlobalPostDeploy: cfg.GlobalPostDeploy}
	res.Errs = append(cfg.CheckTargets(), uc.checkSources(cfg)...)
	fetched := uc.fetch(ctx, cfg, names)
	configured := state.ServerNames()
	for _, name := range names {
		env := core.Env{{Name: "", Lookup: uc.env.Lookup}}
		if name != "" {
			layers, err := uc.envLayers(ctx, dir, ".env."+name)
			if err != nil {
				return Resolution{}, err
			}
			env = append(env, layers...)
		}
		env = append(env, shared...)
		env = append(env, core.EnvLayer{Name: configDirLocal, Lookup: core.MapLookup(state.Local)},
			core.EnvLayer{Name: configDirEnv, Lookup: core.MapLookup(state.Tokens)})
		t := uc.target(&cfg, name, configured, state, env, core.SecretInputs{Providers: cfg.SecretProviders, Fetched: fetched, Dir: dir})
		for _, w := range t.Warnings {
			uc.notes.Warn(w)
		}
		res.Targets = append(res.Targets, t)
	}
	return res, nil
}

// envLayers reads the dotenv files called names, each beside the config
// file and then, when that is another directory, in the current directory
// (Haloy reads both), in that order of precedence.
func (uc *Resolve) envLayers(ctx context.Context, dir string, names ...string) ([]core.EnvLayer, error) {
	var out []core.EnvLayer
	for _, n := range names {
		vars, err := uc.envFiles.Read(ctx, filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out = append(out, core.EnvLayer{Name: n, Lookup: core.MapLookup(vars)})
		if filepath.Clean(dir) == "." {
			continue
		}
		vars, err = uc.envFiles.Read(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, core.EnvLayer{Name: n + " in the current directory", Lookup: core.MapLookup(vars)})
	}
	return out, nil
}

func (uc *Resolve) target(cfg *core.AppConfig, name string, configured []string, state core.ClientState, env core.Env, secrets core.SecretInputs) ResolvedTarget {
	m, _ := cfg.Resolve(name) // Check reports its errors
	t := ResolvedTarget{App: m.Name, Target: name}
	t.Errs = append(t.Errs, cfg.Check(name)...)
	choice, err := core.SelectServer(m.Server, cfg.Where(cfg.FieldPath(name, "server")), configured)
	if err != nil {
		t.Errs = append(t.Errs, err)
	} else {
		t.Server, t.ServerWhy, t.ServerAuto = choice.Server, choice.Why, m.Server == ""
		m.Server = choice.Server
		tok, err := core.ResolveToken(core.TokenInput{
			Server: choice.Server, APIToken: m.APIToken, Where: cfg.Where(tokenPath(cfg, name, m.APIToken)), File: cfg.File,
			Servers: state.Servers, Env: env, Secrets: secrets,
		})
		if err != nil {
			t.Errs = append(t.Errs, err)
		} else {
			t.Token, t.TokenSource, t.OIDC = tok.Value, tok.Source, tok.OIDC
			if tok.Warning != "" {
				t.Warnings = append(t.Warnings, tok.Warning)
			}
		}
	}
	t.Config = m
	where := func(i int) string { return cfg.Where(envPath(cfg, name, m.Env[i].Name)) }
	vars, errs := core.ResolveEnv(m.Env, where, cfg.File, env, secrets)
	t.Env = vars
	t.Errs = append(t.Errs, errs...)
	if reg := m.Image.Registry; reg != nil {
		t.Registry = &ResolvedRegistry{Server: reg.Server}
		at := cfg.Where(cfg.FieldPath(name, "image") + ".registry")
		for _, f := range []struct {
			name string
			v    core.ValueSource
			dst  *core.Resolved
		}{{"username", reg.Username, &t.Registry.Username}, {"password", reg.Password, &t.Registry.Password}} {
			if !f.v.WellFormed() {
				continue // Check reports it
			}
			r, err := core.ResolveValue("image.registry."+f.name, at, cfg.File, f.v, env, secrets)
			if err != nil {
				t.Errs = append(t.Errs, err)
				continue
			}
			*f.dst = r
		}
	}
	return t
}

// tokenPath is the key path of the part of api_token that gives the token.
func tokenPath(cfg *core.AppConfig, target string, tok *core.APITokenConfig) string {
	p := cfg.FieldPath(target, "api_token")
	switch {
	case tok == nil:
		return p
	case tok.From != nil && tok.From.OIDC != nil:
		return p + ".from.oidc"
	case tok.From != nil && tok.From.Env != "" && tok.From.Secret == "" && tok.Value == "":
		return p + ".from.env"
	case tok.From != nil && tok.From.Secret != "" && tok.From.Env == "" && tok.Value == "":
		return p + ".from.secret"
	case tok.Value != "" && (tok.From == nil || tok.From.Env == "" && tok.From.Secret == ""):
		return p + ".value"
	}
	return p
}

// envPath is the key path of the env entry called name as target sees it.
func envPath(cfg *core.AppConfig, target, name string) string {
	if t, ok := cfg.Targets[target]; ok {
		for i, e := range t.Env {
			if e.Name == name {
				return fmt.Sprintf("targets.%s.env.%d", target, i)
			}
		}
	}
	for i, e := range cfg.Env {
		if e.Name == name {
			return fmt.Sprintf("env.%d", i)
		}
	}
	return "env"
}

// checkSources checks every declared secret source's settings (no I/O),
// used or not, so that a typo shows before the day it matters.
func (uc *Resolve) checkSources(cfg core.AppConfig) []error {
	var errs []error
	for _, p := range slices.Sorted(maps.Keys(cfg.SecretProviders)) {
		src, ok := uc.secrets[p]
		if !ok {
			errs = append(errs, uc.unknownProvider(p, cfg.Where("secret_providers."+p)))
			continue
		}
		for _, n := range slices.Sorted(maps.Keys(cfg.SecretProviders[p])) {
			ref, err := cfg.SecretProviders[p][n].Ref(p, n)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ref.Dir = filepath.Dir(cfg.File)
			if _, err := src.Describe(ref); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func (uc *Resolve) unknownProvider(p, where string) error {
	known := slices.Sorted(maps.Keys(uc.secrets))
	e := &core.Error{Kind: core.NotFound, What: "unknown secret provider " + strconv.Quote(p) + " (" + where + ")",
		Why: "haloy reads secrets from: " + strings.Join(known, ", ")}
	if c := core.Closest(p, known); c != "" {
		e.Fix = "did you mean " + strconv.Quote(c) + "?"
	} else {
		e.Fix = "use one of: " + strings.Join(known, ", ")
	}
	return e
}

// fetch fetches every secret item the targets' references point into,
// concurrently, once per item however many references name it.
func (uc *Resolve) fetch(ctx context.Context, cfg core.AppConfig, targets []string) map[string]core.FetchedSource {
	var srcs []core.SecretSourceRef
	seen := map[string]bool{}
	for _, n := range targets {
		m, _ := cfg.Resolve(n)
		for _, s := range core.SecretSources(m, cfg.SecretProviders, filepath.Dir(cfg.File)) {
			if !seen[s.Key()] {
				seen[s.Key()] = true
				srcs = append(srcs, s)
			}
		}
	}
	out := make(map[string]core.FetchedSource, len(srcs))
	if len(srcs) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, uc.Timeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	set := func(key string, f core.FetchedSource) {
		mu.Lock()
		defer mu.Unlock()
		out[key] = f
	}
	for _, s := range srcs {
		p, ok := uc.secrets[s.Provider]
		if !ok {
			set(s.Key(), core.FetchedSource{Err: misconfigured(s)})
			continue
		}
		label, err := p.Describe(s)
		if err != nil {
			set(s.Key(), core.FetchedSource{Err: misconfigured(s)})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fields, err := p.Fields(ctx, s)
			set(s.Key(), core.FetchedSource{Label: label, Fields: fields, Err: err})
		}()
	}
	wg.Wait()
	return out
}

// misconfigured is what a reference into a source that checkSources
// rejected reports, so that the source's own error shows once.
func misconfigured(s core.SecretSourceRef) error {
	return &core.Error{Kind: core.Invalid, What: "secret source " + strconv.Quote(s.Provider+"."+s.Name) + " cannot be read",
		Why: "secret_providers." + s.Provider + "." + s.Name + " is misconfigured (see its own error)",
		Fix: "fix secret_providers." + s.Provider + "." + s.Name}
}
