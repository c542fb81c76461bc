package core

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Limits on a deploy request, so that one request cannot fill the disk.
const (
	maxDeployField   = 255
	maxDeployDomains = 100
	maxDeployEnv     = 500
	maxEnvValue      = 64 << 10
)

var (
	ulidRE     = regexp.MustCompile(`^[0-7][0-9a-hjkmnp-tv-z]{25}$`)
	appNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	domainRE   = regexp.MustCompile(`^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	imageRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]*$`)
	tagRE      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	portRE     = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)
	hostPathRE = regexp.MustCompile(`^/[\x21-\x7e]*$`)
)

// IsDeploymentID reports whether id is a deployment id as Haloy makes them:
// a ULID in lower case, so that ids compare as text in time order.
func IsDeploymentID(id string) bool { return ulidRE.MatchString(id) }

// CheckDeploymentApp returns a *Error of Kind Invalid unless app is a lower-case
// app name of letters, digits, '-' and '_', as container names allow.
func CheckDeploymentApp(app string) error {
	if len(app) > maxDeployField || !appNameRE.MatchString(app) {
		return &Error{Kind: Invalid, What: "invalid app name " + strconv.Quote(app),
			Why: "an app name is 1 to 255 lower-case letters, digits, '-' and '_', starting with a letter or digit",
			Fix: "set name: my-app in haloy.yaml"}
	}
	return nil
}

// BuildRequested returns a *Error of Kind Invalid, with the fix, if img
// asks for the image to be built (build: true, or build_config without
// build: false): haloy does not run Docker, so it deploys built images only.
func BuildRequested(img *DeployImage) error {
	if img == nil || (img.Build == nil || !*img.Build) && (len(img.BuildConfig) == 0 || img.Build != nil) {
		return nil
	}
	ref := img.Repository
	if img.Tag != "" {
		ref += ":" + img.Tag
	}
	return &Error{Kind: Invalid, What: "image " + strconv.Quote(ref) + " is to be built, and haloy deploys built images only",
		Why: "image.build or image.build_config asks for a local Docker build and upload, which haloy does not do",
		Fix: "docker build -t " + ref + " . && docker push " + ref + ", then remove build and build_config from the image in the config"}
}

// CheckDeployRequest validates a deploy request: the client runs it before
// sending, haloyadm serve before recording, so both refuse the same
// requests with the same words. Returns a *Error of Kind Invalid naming the
// first bad field; an env value is never part of the error.
func CheckDeployRequest(r DeployRequest) error {
	bad := func(field, value, why string) error {
		return &Error{Kind: Invalid, What: fmt.Sprintf("invalid %s %s", field, strconv.Quote(value)), Why: why}
	}
	if !IsDeploymentID(r.DeploymentID) {
		return bad("deploymentID", clip(r.DeploymentID), "a deployment id is a ULID in lower case (26 characters of 0-9 and a-z without i, l, o, u)")
	}
	t := r.TargetConfig
	if err := CheckDeploymentApp(t.Name); err != nil {
		return err
	}
	if t.Server == "" || len(t.Server) > maxDeployField {
		return bad("targetConfig.server", clip(t.Server), "the server the target deploys to is required")
	}
	if t.Image == nil || t.Image.Repository == "" {
		return &Error{Kind: Invalid, What: "no image to deploy for app " + strconv.Quote(t.Name),
			Why: "targetConfig.image.repository is required", Fix: "add to the config: image: {repository: ghcr.io/you/" + t.Name + ", tag: latest}"}
	}
	if len(t.Image.Repository) > maxDeployField || !imageRE.MatchString(t.Image.Repository) {
		return bad("image.repository", clip(t.Image.Repository), "an image repository is like ghcr.io/acme/my-app")
	}
	if len(t.Image.Tag) > 128 || (t.Image.Tag != "" && !tagRE.MatchString(t.Image.Tag)) {
		return bad("image.tag", clip(t.Image.Tag), "an image tag is up to 128 letters, digits, '.', '_' and '-'")
	}
	if err := BuildRequested(t.Image); err != nil {
		return err
	}
	for _, c := range []struct{ field, value, allowed string }{
		{"image.pullPolicy", t.Image.PullPolicy, "always if_missing never"},
		{"preset", t.Preset, "database service"},
		{"deploymentStrategy", t.DeploymentStrategy, "rolling replace"},
		{"namingStrategy", t.NamingStrategy, "dynamic static"},
	} {
		if c.value != "" && !strings.Contains(" "+c.allowed+" ", " "+c.value+" ") {
			return bad(c.field, clip(c.value), "it is one of: "+strings.ReplaceAll(c.allowed, " ", ", "))
		}
	}
	if t.Port != "" {
		if n, err := strconv.Atoi(t.Port); err != nil || !portRE.MatchString(t.Port) || n > 65535 {
			return bad("port", clip(t.Port), "a port is a number from 1 to 65535, sent as a string")
		}
	}
	if t.HealthCheckPath != "" && (len(t.HealthCheckPath) > maxDeployField || !hostPathRE.MatchString(t.HealthCheckPath)) {
		return bad("healthCheckPath", clip(t.HealthCheckPath), "a health check path starts with '/'")
	}
	if t.Replicas != nil && (*t.Replicas < 1 || *t.Replicas > 100) {
		return bad("replicas", strconv.Itoa(*t.Replicas), "replicas is 1 to 100")
	}
	if t.MinReadySeconds != nil && (*t.MinReadySeconds < 0 || *t.MinReadySeconds > 600) {
		return bad("minReadySeconds", strconv.Itoa(*t.MinReadySeconds), "minReadySeconds is 0 to 600")
	}
	if len(t.Domains) > maxDeployDomains {
		return bad("domains", strconv.Itoa(len(t.Domains)), fmt.Sprintf("at most %d domains are accepted", maxDeployDomains))
	}
	for _, dom := range t.Domains {
		for _, name := range append([]string{dom.Domain}, dom.Aliases...) {
			if len(name) > 253 || !domainRE.MatchString(name) {
				return bad("domain", clip(name), "a domain is a DNS name like my-app.example.com")
			}
		}
	}
	if len(t.Env) > maxDeployEnv {
		return bad("env", strconv.Itoa(len(t.Env)), fmt.Sprintf("at most %d variables are accepted", maxDeployEnv))
	}
	for _, e := range t.Env {
		if len(e.Name) > maxDeployField || !envNameRE.MatchString(e.Name) {
			// a value pasted into the name (NAME=secret) must not be echoed back
			return &Error{Kind: Invalid, What: "invalid env variable name",
				Why: "a name is letters, digits and '_', not starting with a digit"}
		}
		if len(e.Value) > maxEnvValue {
			return &Error{Kind: Invalid, What: "the value of env variable " + e.Name + " is too long",
				Why: fmt.Sprintf("a value is at most %d bytes", maxEnvValue)}
		}
	}
	return nil
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Deployment returns what haloyadm serve records of r: the names of the
// env variables, never their values. target is the target's name when the
// caller knows it; Haloy's request does not carry it.
func (r DeployRequest) Deployment(target string) Deployment {
	t := r.TargetConfig
	d := Deployment{ID: r.DeploymentID, App: t.Name, Target: target, Domains: t.Domains}
	if t.Image != nil {
		d.Image = Image{Repository: t.Image.Repository, Tag: t.Image.Tag}
	}
	for _, e := range t.Env {
		d.EnvNames = append(d.EnvNames, e.Name)
	}
	return d
}

// NewDeployRequest builds the body of POST /v1/deploy for one resolved
// target: the one place where a resolved target becomes Haloy's
// targetConfig. app and server are the target's app name and selected
// server, cfg its settings merged over the base, env its env entries with
// their values found, in cfg.Env's order, and providers the config's secret
// providers. targetConfig gets the env values; rollbackDeployConfig gets
// the settings as written (references, and literal values the config file
// holds anyway) and the providers Haloy knows. Neither ever gets the API
// token or its reference, nor image.registry's credentials
// (docs/deploying.md). imageKey is not sent: the image it names is.
func NewDeployRequest(id, app, server string, cfg TargetConfig, env []ResolvedEnvVar, providers SecretProviders) DeployRequest {
	target := DeployTarget{Name: app, Server: server, Preset: string(cfg.Preset), DeploymentStrategy: string(cfg.DeploymentStrategy),
		NamingStrategy: string(cfg.NamingStrategy), Protected: cfg.Protected, Domains: cfg.Domains, HealthCheckPath: cfg.HealthCheckPath,
		MinReadySeconds: cfg.MinReadySeconds, Port: string(cfg.Port), Replicas: cfg.Replicas, Volumes: cfg.Volumes, Network: cfg.Network,
		PreDeploy: cfg.PreDeploy, PostDeploy: cfg.PostDeploy}
	if img := cfg.Image; img != nil {
		target.Image = &DeployImage{Repository: img.Repository, Tag: img.Tag, PullPolicy: string(img.PullPolicy), History: img.History, Build: img.Build}
		if img.BuildConfig != nil {
			// only its presence matters: a build is refused before sending
			target.Image.BuildConfig = json.RawMessage(`{}`)
		}
	}
	rollback := RollbackConfig{DeployTarget: target, SecretProviders: haloyProviders(providers)}
	for _, e := range env {
		target.Env = append(target.Env, DeployEnv{Name: e.Name, Value: EnvValue(e.Value.Reveal()), BuildArg: buildArg(cfg.Env, e.Name)})
	}
	for _, e := range cfg.Env {
		w := DeployEnv{Name: e.Name, BuildArg: e.BuildArg}
		if e.From != nil {
			w.From = &DeployFrom{Env: e.From.Env, Secret: e.From.Secret}
		} else {
			w.Value = EnvValue(e.Value.Reveal())
		}
		rollback.Env = append(rollback.Env, w)
	}
	return DeployRequest{DeploymentID: id, TargetConfig: target, RollbackDeployConfig: rollback}
}

func buildArg(env []EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return e.BuildArg
		}
	}
	return false
}

// haloyProviders keeps the secret providers Haloy's server can decode
// (onepassword and sops, with their string settings): it refuses a body
// with any other.
func haloyProviders(p SecretProviders) SecretProviders {
	known := map[string][]string{"onepassword": {"account", "vault", "item"}, "sops": {"file", "format"}}
	var out SecretProviders
	for provider, sources := range p {
		keys, ok := known[provider]
		if !ok {
			continue
		}
		for name, settings := range sources {
			kept := SourceSettings{}
			for _, k := range keys {
				if v, ok := settings[k].(string); ok {
					kept[k] = v
				}
			}
			if out == nil {
				out = SecretProviders{}
			}
			if out[provider] == nil {
				out[provider] = map[string]SourceSettings{}
			}
			out[provider][name] = kept
		}
	}
	return out
}
