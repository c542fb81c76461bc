package core

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// at returns "file:line" of the key path field(.sub...) as target sees it,
// or of its closest written parent.
func (c *AppConfig) at(target, field string, sub ...string) string {
	p := c.FieldPath(target, field)
	if t := c.Target(target); field == "image" && !t.sets("image") && t.ImageKey != "" {
		p = "images." + t.ImageKey
	}
	parts := append(strings.Split(p, "."), sub...)
	for n := len(parts); n > 0; n-- {
		if _, ok := c.Lines[strings.Join(parts[:n], ".")]; ok {
			return c.Where(strings.Join(parts[:n], "."))
		}
	}
	return c.fileName()
}

// Check returns every problem of the named target that a deploy, or Haloy's
// server, would refuse, except those of api_token and env values
// (ResolveToken and ResolveEnv report them): Haloy's validation rules, in
// what/why/fix form, then, if those pass, the checks our own server runs on
// a deployment (CheckDeployRequest), so that validate-config refuses first what
// deploy would, with the same message. Each error names the file and line.
func (c *AppConfig) Check(target string) []error {
	raw := c.Target(target)
	m, errs := c.Resolve(target)
	bad := func(where, what, why, fix string) {
		errs = append(errs, &Error{Kind: Invalid, What: what + " (" + where + ")", Why: why, Fix: fix})
	}
	if strings.TrimSpace(m.Name) == "" {
		errs = append(errs, &Error{Kind: Missing, What: "no app name",
			Why: c.fileName() + " sets no name:", Fix: "add a line to " + c.fileName() + ": name: my-app"})
	} else if err := CheckDeploymentApp(m.Name); err != nil {
		errs = append(errs, withWhere(err, c.at(target, "name")))
	}
	if m.Preset != "" && m.Preset != PresetDatabase && m.Preset != PresetService {
		bad(c.at(target, "preset"), "unknown preset "+strconv.Quote(string(m.Preset)), "the presets are database and service",
			"write preset: database or preset: service, or remove it")
	}
	if raw.Image != nil || raw.ImageKey == "" || c.Images[raw.ImageKey] != nil {
		// (an unknown image_key is reported by Resolve; its image is not checked)
		errs = append(errs, c.checkImage(target, raw, m)...)
	}
	if m.NamingStrategy != "" && m.NamingStrategy != NamingDynamic && m.NamingStrategy != NamingStatic {
		bad(c.at(target, "naming_strategy"), "unknown naming_strategy "+strconv.Quote(string(m.NamingStrategy)),
			"it is dynamic (the default) or static", "write naming_strategy: dynamic or naming_strategy: static")
	}
	if m.DeploymentStrategy != DeploymentRolling && m.DeploymentStrategy != DeploymentReplace {
		bad(c.at(target, "deployment_strategy"), "unknown deployment_strategy "+strconv.Quote(string(m.DeploymentStrategy)),
			"it is rolling (the default) or replace", "write deployment_strategy: rolling or deployment_strategy: replace")
	}
	if m.NamingStrategy == NamingStatic && m.DeploymentStrategy != DeploymentReplace {
		bad(c.at(target, "naming_strategy"), "naming_strategy static needs deployment_strategy replace",
			"a rolling deployment runs the new container beside the old one, and two containers cannot share one fixed name",
			"add deployment_strategy: replace")
	}
	if m.NamingStrategy == NamingStatic && m.Replicas != nil && *m.Replicas > 1 {
		bad(c.at(target, "replicas"), "naming_strategy static cannot run "+strconv.Itoa(*m.Replicas)+" replicas",
			"a fixed name fits one container", "set replicas: 1, or use naming_strategy: dynamic")
	}
	for i, d := range m.Domains {
		where := c.at(target, "domains", strconv.Itoa(i))
		if strings.TrimSpace(d.Domain) == "" {
			bad(where, "domain entry without a domain", "every domains entry needs domain:", "add domain: app.example.com to the entry, or remove it")
			continue
		}
		for _, name := range append([]string{d.Domain}, d.Aliases...) {
			if why := domainProblem(name); why != "" {
				bad(where, "invalid domain "+strconv.Quote(name), why, "write a DNS name such as my-app.example.com")
			}
		}
	}
	errs = append(errs, c.checkEnv(target, m)...)
	if m.Port != "" {
		if n, err := strconv.Atoi(string(m.Port)); err != nil || n < 1 || n > 65535 {
			bad(c.at(target, "port"), "invalid port "+strconv.Quote(string(m.Port)), "a port is a number from 1 to 65535",
				"write the port the app listens on inside its container, e.g. port: 8080")
		}
	}
	for i, v := range m.Volumes {
		if why := volumeProblem(v); why != "" {
			bad(c.at(target, "volumes", strconv.Itoa(i)), "invalid volume "+strconv.Quote(v), why,
				"write source:/path/in/container[:options], the source a volume name or an absolute path, e.g. data:/app/data")
		}
	}
	if !strings.HasPrefix(m.HealthCheckPath, "/") {
		bad(c.at(target, "health_check_path"), "health_check_path "+strconv.Quote(m.HealthCheckPath)+" does not start with /",
			"it is a path on the app's own HTTP server", "write it as health_check_path: /health")
	}
	if m.Replicas != nil && *m.Replicas < 1 {
		bad(c.at(target, "replicas"), "replicas is "+strconv.Itoa(*m.Replicas), "an app runs at least one container", "set replicas: 1 or more")
	}
	if m.MinReadySeconds != nil && (*m.MinReadySeconds < 0 || *m.MinReadySeconds > 600) {
		bad(c.at(target, "min_ready_seconds"), "min_ready_seconds is "+strconv.Itoa(*m.MinReadySeconds),
			"it is from 0 to 600 (ten minutes)", "set min_ready_seconds between 0 and 600")
	}
	for _, h := range []struct {
		key  string
		cmds []string
	}{{"pre_deploy", m.PreDeploy}, {"post_deploy", m.PostDeploy}} {
		for i, cmd := range h.cmds {
			if strings.TrimSpace(cmd) == "" {
				errs = append(errs, emptyHook(c.KeyName(h.key), i, c.at(target, h.key, strconv.Itoa(i))))
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	// What deploy and our server check on every request: the same message.
	// The server is a placeholder when the config names none (the client
	// store picks it), and env values are not needed for the check.
	server := m.Server
	if server == "" {
		server = "validate"
	}
	env := make([]ResolvedEnvVar, len(m.Env))
	for i, e := range m.Env {
		env[i] = ResolvedEnvVar{Name: e.Name}
	}
	if err := CheckDeployRequest(NewDeployRequest("00000000000000000000000000", m.Name, server, m, env, nil)); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (c *AppConfig) checkImage(target string, raw, m TargetConfig) []error {
	var errs []error
	img := m.Image
	if img == nil {
		return nil // image_key failed; Resolve reported it
	}
	where := func(sub ...string) string { return c.at(target, "image", sub...) }
	bad := func(where, what, why, fix string) {
		errs = append(errs, &Error{Kind: Invalid, What: what + " (" + where + ")", Why: why, Fix: fix})
	}
	if img.ShouldBuild() {
		if raw.Image == nil && raw.ImageKey == "" || raw.Image != nil && raw.Image.Repository == "" && raw.ImageKey == "" {
			// the message deploy gave before validate-config checked it
			name := m.Name
			if name == "" {
				name = "my-app"
			}
			errs = append(errs, &Error{Kind: Invalid, What: "no image to deploy for app " + strconv.Quote(m.Name),
				Why: c.fileName() + " sets no image.repository",
				Fix: "add to " + c.fileName() + ": image: {repository: ghcr.io/you/" + name + ", tag: latest}"})
		} else {
			bad(where("build"), "image "+strconv.Quote(img.Repository)+" is to be built locally",
				"this haloy deploys images from a registry; it does not build images (Haloy's image.build and build_config)",
				"build and push the image yourself (docker build, docker push), then remove build and build_config")
		}
		return errs
	}
	if strings.ContainsAny(img.Repository, " \t\r\n") {
		bad(where("repository"), "image.repository contains whitespace", "an image name is one word", "remove the spaces")
	}
	if strings.ContainsAny(img.Tag, " \t\r\n") {
		bad(where("tag"), "image.tag contains whitespace", "a tag is one word", "remove the spaces")
	}
	switch img.PullPolicy {
	case "", PullAlways, PullIfMissing, PullNever:
	default:
		bad(where("pull_policy"), "unknown image.pull_policy "+strconv.Quote(string(img.PullPolicy)),
			"it is always (the default), if_missing or never", "write one of them")
	}
	if h := img.History; h != nil {
		switch h.Strategy {
		case HistoryLocal, HistoryRegistry, HistoryNone:
		default:
			bad(where("history", "strategy"), "unknown image.history.strategy "+strconv.Quote(string(h.Strategy)),
				"it is local (the default), registry or none", "write one of them")
		}
		if (h.Strategy == HistoryLocal || h.Strategy == HistoryRegistry) && h.Count != nil && *h.Count < 1 {
			bad(where("history", "count"), "image.history.count is "+strconv.Itoa(*h.Count), "it keeps at least one image", "set count: 1 or more")
		}
		if h.Strategy == HistoryRegistry {
			if h.Count == nil {
				bad(where("history"), "image.history.count is not set", "the registry strategy needs to know how many tags to keep", "add count: 5 under history")
			}
			if strings.TrimSpace(h.Pattern) == "" {
				bad(where("history"), "image.history.pattern is not set", "the registry strategy finds earlier tags by a pattern", "add pattern: \"v*\" under history")
			}
			mutable := []string{"", "latest", "main", "master", "develop", "staging", "production"}
			if slices.Contains(mutable, strings.TrimSpace(img.Tag)) {
				bad(where("tag"), "image.tag "+strconv.Quote(img.Tag)+" can change under the registry strategy",
					"a rollback needs tags that always name the same image", "use an immutable tag such as v1.2.3")
			}
		}
	}
	if r := img.Registry; r != nil {
		if strings.ContainsAny(r.Server, " \t\r\n") {
			bad(where("registry", "server"), "image.registry.server contains whitespace", "a registry is a host name", "remove the spaces")
		}
		for _, vs := range []struct {
			name string
			v    ValueSource
		}{{"username", r.Username}, {"password", r.Password}} {
			if why := valueSourceProblem(vs.v); why != "" {
				bad(where("registry", vs.name), "image.registry."+vs.name+" "+why,
					"it is exactly one of value, from.env or from.secret", "write "+vs.name+": {from: {env: REGISTRY_"+strings.ToUpper(vs.name)+"}}")
			}
		}
	}
	return errs
}

// valueSourceProblem says what is wrong with a value source, or "".
func valueSourceProblem(v ValueSource) string {
	n := 0
	if v.Value != "" {
		n++
	}
	if v.From != nil && v.From.Env != "" {
		n++
	}
	if v.From != nil && v.From.Secret != "" {
		n++
	}
	switch {
	case n == 0:
		return "sets no value"
	case n > 1:
		return "sets several values"
	}
	return ""
}

func (c *AppConfig) checkEnv(target string, m TargetConfig) []error {
	var errs []error
	seen := map[string]bool{}
	nth := map[string]int{}
	for _, e := range m.Env {
		ep := c.Where(envKeyPath(c, target, e.Name, nth[e.Name]))
		nth[e.Name]++
		if strings.TrimSpace(e.Name) == "" {
			errs = append(errs, &Error{Kind: Invalid, What: "env entry without a name at " + ep,
				Why: "every env entry needs name:", Fix: "add name: VARIABLE_NAME to the entry"})
			continue
		}
		if seen[e.Name] {
			errs = append(errs, &Error{Kind: Invalid, What: "env variable " + strconv.Quote(e.Name) + " is listed twice (" + ep + ")",
				Why: "each variable may appear once", Fix: "remove one of the entries"})
		}
		seen[e.Name] = true
		if !envNameRE.MatchString(e.Name) {
			errs = append(errs, &Error{Kind: Invalid, What: "invalid env variable name " + strconv.Quote(e.Name) + " (" + ep + ")",
				Why: "a variable name is letters, digits and '_', not starting with a digit",
				Fix: "rename it, e.g. " + SuggestEnvName(e.Name)})
		}
	}
	return errs
}

// envKeyPath is the key path of the nth (from 0) env entry called name as
// target sees it.
func envKeyPath(c *AppConfig, target, name string, nth int) string {
	find := func(env []EnvVar, prefix string) (string, bool) {
		n := 0
		for i, e := range env {
			if e.Name == name {
				if n == nth {
					return fmt.Sprintf("%s.%d", prefix, i), true
				}
				n++
			}
		}
		return "", false
	}
	if t, ok := c.Targets[target]; ok {
		if p, ok := find(t.Env, "targets."+target+".env"); ok {
			return p
		}
	}
	if p, ok := find(c.Env, "env"); ok {
		return p
	}
	return "env"
}

// SuggestEnvName turns a name into a valid variable name: "bad-env" becomes
// BAD_ENV.
func SuggestEnvName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// domainProblem says why name is not a domain Haloy accepts, or "".
func domainProblem(name string) string {
	if len(name) == 0 || len(name) > 253 {
		return "a domain is 1 to 253 characters"
	}
	if name == "localhost" {
		return ""
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return "a domain cannot start or end with '.' or '-'"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "a domain has at least two labels, e.g. example.com"
	}
	for i, l := range labels {
		if len(l) == 0 || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "each label is 1 to 63 characters and does not start or end with '-'"
		}
		for _, r := range l {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (r == '-' && i < len(labels)-1)
			if !ok {
				return "a domain holds only letters, digits and '-' (write an internationalized name in its xn-- form)"
			}
		}
		if i == len(labels)-1 && len(l) < 2 {
			return "the last label (the top-level domain) has at least two characters"
		}
	}
	return ""
}

// volumeProblem says why v is not a volume mapping Haloy accepts, or "".
func volumeProblem(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 3 && (v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z') && v[1] == ':' && (v[2] == '\\' || v[2] == '/') {
		return "a Windows path cannot be mounted on the Linux server"
	}
	parts := strings.SplitN(v, ":", 3)
	if len(parts) < 2 {
		return "a volume is source:/path/in/container"
	}
	src, dst := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	switch {
	case src == "":
		return "the source is empty"
	case strings.Contains(src, `\`):
		return "a Windows path cannot be mounted on the Linux server"
	case !path.IsAbs(src) && (strings.HasPrefix(src, ".") || strings.Contains(src, "/")):
		return "a host path must be absolute: the server does not know your working directory"
	case !path.IsAbs(dst):
		return "the path in the container must be absolute"
	}
	return ""
}

// CheckTargets returns the problems of the config as a whole: two targets
// deploying the same app, by name: or by key (Haloy's own rule), and an
// empty global hook command. A config without targets needs a name; Check
// reports that.
func (c *AppConfig) CheckTargets() []error {
	var errs []error
	for _, h := range []struct {
		key  string
		cmds []string
	}{{"global_pre_deploy", c.GlobalPreDeploy}, {"global_post_deploy", c.GlobalPostDeploy}} {
		for i, cmd := range h.cmds {
			if strings.TrimSpace(cmd) == "" {
				errs = append(errs, emptyHook(c.KeyName(h.key), i, c.Where(h.key+"."+strconv.Itoa(i))))
			}
		}
	}
	owner := map[string]string{}
	for _, n := range c.TargetNames() {
		name := c.Target(n).Name
		if prev, ok := owner[name]; ok {
			errs = append(errs, &Error{Kind: Invalid,
				What: "targets " + prev + " and " + n + " both deploy the app " + strconv.Quote(name) + " (" + c.Where("targets."+n) + ")",
				Why:  "each target deploys its own app, named by name: or by its key",
				Fix:  "give them different names"})
			continue
		}
		owner[name] = n
	}
	return errs
}

// WellFormed reports whether v sets exactly one of value, from.env and
// from.secret; Check reports it when it does not.
func (v ValueSource) WellFormed() bool { return valueSourceProblem(v) == "" }

// emptyHook is the error of a blank hook command: Haloy's deploy stops on
// it ("empty command") after what ran before it; this one refuses it first.
func emptyHook(field string, i int, where string) error {
	return &Error{Kind: Invalid, What: fmt.Sprintf("%s command %d is empty (%s)", field, i+1, where),
		Why: "each entry of a hook is a shell command to run", Fix: "write the command, or remove the entry"}
}
