package core

import (
	"slices"
	"strconv"
	"strings"
)

// Defaults Haloy applies to a target that does not set them.
const (
	DefaultHealthCheckPath = "/"
	DefaultPort            = Port("8080")
	DefaultReplicas        = 1
	DefaultMinReadySeconds = 0
	// DefaultHistoryCount is how many earlier images the local history
	// strategy keeps.
	DefaultHistoryCount = 6
)

// Target returns the settings of the named target merged over the base, as
// Haloy merges them, before image_key, presets and defaults (Resolve adds
// those): a target without a name is named after its key (the base's name
// is not inherited, as in Haloy); each other field the target sets replaces
// the base's (lists such as domains and volumes whole); an image the target
// sets is merged field by field over the base's, except an image written
// as one string, which replaces it whole; env is merged by name, the
// target's entry winning in the base's position. The name "" gives the base
// alone. The result shares pointers with the config: do not change it.
func (c *AppConfig) Target(name string) TargetConfig {
	b := c.TargetConfig
	t, ok := c.Targets[name]
	if !ok {
		return b
	}
	m := t
	if m.Name == "" {
		m.Name = name
	}
	if m.Preset == "" {
		m.Preset = b.Preset
	}
	switch {
	case t.Image != nil:
		m.Image = mergeImage(b.Image, t.Image)
	case t.ImageKey != "":
	default:
		// Haloy ignores a top-level image_key in a config with targets;
		// we let targets inherit it, as they inherit image.
		m.Image, m.ImageKey = b.Image, b.ImageKey
	}
	if m.Server == "" {
		m.Server = b.Server
	}
	if m.APIToken == nil {
		m.APIToken = b.APIToken
	}
	if m.DeploymentStrategy == "" {
		m.DeploymentStrategy = b.DeploymentStrategy
	}
	if m.NamingStrategy == "" {
		m.NamingStrategy = b.NamingStrategy
	}
	if m.Protected == nil {
		m.Protected = b.Protected
	}
	if m.Domains == nil {
		m.Domains = b.Domains
	}
	m.Env = mergeEnv(b.Env, t.Env)
	if m.HealthCheckPath == "" {
		m.HealthCheckPath = b.HealthCheckPath
	}
	if m.Port == "" {
		m.Port = b.Port
	}
	if m.Replicas == nil {
		m.Replicas = b.Replicas
	}
	if m.MinReadySeconds == nil {
		m.MinReadySeconds = b.MinReadySeconds
	}
	if m.Network == "" {
		m.Network = b.Network
	}
	if m.Volumes == nil {
		m.Volumes = b.Volumes
	}
	if m.PreDeploy == nil {
		m.PreDeploy = b.PreDeploy
	}
	if m.PostDeploy == nil {
		m.PostDeploy = b.PostDeploy
	}
	return m
}

// mergeImage merges a target's image over the base's, field by field. A
// short form ("nginx:1.27") names a whole image: it keeps nothing of the
// base's (Haloy kept the base's tag, giving nginx:1.27:v1.0.0).
func mergeImage(base, over *Image) *Image {
	if base == nil || over.Short {
		return over
	}
	m := *base
	m.Short = false
	if over.Repository != "" {
		m.Repository = over.Repository
	}
	if over.Tag != "" {
		m.Tag = over.Tag
	}
	if over.PullPolicy != "" {
		m.PullPolicy = over.PullPolicy
	}
	if over.History != nil {
		m.History = over.History
	}
	if over.Registry != nil {
		m.Registry = over.Registry
	}
	if over.Build != nil {
		m.Build = over.Build
	}
	if over.BuildConfig != nil {
		m.BuildConfig = over.BuildConfig
	}
	return &m
}

// mergeEnv merges a target's env over the base's by name: base order
// first (a target's entry replacing the base's of the same name), then the
// target's new names in its order. An empty target env keeps the base's.
func mergeEnv(base, over []EnvVar) []EnvVar {
	if len(over) == 0 {
		return base
	}
	if len(base) == 0 {
		return over
	}
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

// Resolve returns the complete settings of the named target, as a deploy
// sends them: Target, then the image image_key selects from images (the key
// itself cleared, since the image is now there), the preset's defaults,
// Haloy's defaults (health check path "/", port 8080, one replica, rolling
// deployments, a local history of 6 images; no image means one built
// locally and named after the app), and the env entries marked build_arg
// added to the build's args. The server is left as written: SelectServer
// chooses it. The errors are those of image_key; Check reports the rest.
func (c *AppConfig) Resolve(target string) (TargetConfig, []error) {
	m := c.Target(target)
	m.Image = cloneImage(m.Image)
	m.Env = slices.Clone(m.Env)
	var errs []error
	switch {
	case m.Image != nil && m.ImageKey != "":
		errs = append(errs, &Error{Kind: Invalid, What: "both image and image_key are set (" + c.Where(c.FieldPath(target, "image_key")) + ")",
			Why: "image_key picks an image from images:, so the target would have two",
			Fix: "keep one of them"})
	case m.ImageKey != "":
		img, ok := c.Images[m.ImageKey]
		if ok && img != nil {
			m.Image = cloneImage(img)
			m.Image.Short = false
			break
		}
		e := &Error{Kind: NotFound, What: "image_key " + strconv.Quote(m.ImageKey) + " names no image (" + c.Where(c.FieldPath(target, "image_key")) + ")"}
		names := sortedNames(c.Images)
		if len(names) == 0 {
			e.Why = c.fileName() + " has no images: section"
			e.Fix = "add it: images: {" + m.ImageKey + ": {repository: ghcr.io/you/app, tag: v1}}"
		} else {
			e.Why = "images in " + c.fileName() + ": " + strings.Join(names, ", ")
			if cl := Closest(m.ImageKey, names); cl != "" {
				e.Fix = "did you mean " + strconv.Quote(cl) + "?"
			} else {
				e.Fix = "use one of: " + strings.Join(names, ", ")
			}
		}
		errs = append(errs, e)
	}
	m.ImageKey = ""
	applyPreset(&m)
	applyDefaults(&m)
	addBuildArgs(&m)
	return m, errs
}

func cloneImage(i *Image) *Image {
	if i == nil {
		return nil
	}
	c := *i
	if i.History != nil {
		h := *i.History
		c.History = &h
	}
	if i.Registry != nil {
		r := *i.Registry
		c.Registry = &r
	}
	if i.BuildConfig != nil {
		b := *i.BuildConfig
		b.Args = slices.Clone(b.Args)
		c.BuildConfig = &b
	}
	return &c
}

// applyPreset fills in what a preset implies and the target leaves unset:
// database and service run one container under a fixed name, replaced on
// deploy, keep no image history and pull only when missing; a database is
// also protected.
func applyPreset(t *TargetConfig) {
	if t.Preset != PresetDatabase && t.Preset != PresetService {
		return
	}
	if t.DeploymentStrategy == "" {
		t.DeploymentStrategy = DeploymentReplace
	}
	if t.NamingStrategy == "" {
		t.NamingStrategy = NamingStatic
	}
	if t.Image != nil {
		if t.Image.History == nil {
			t.Image.History = &ImageHistory{Strategy: HistoryNone}
		}
		if t.Image.PullPolicy == "" {
			t.Image.PullPolicy = PullIfMissing
		}
	}
	if t.Preset == PresetDatabase {
		yes := true
		t.Protected = &yes
	}
}

func applyDefaults(t *TargetConfig) {
	yes := true
	if t.Image == nil {
		t.Image = &Image{Repository: t.Name, Build: &yes}
	}
	if t.Image.Repository == "" {
		t.Image.Repository = t.Name
		if t.Image.Build == nil && t.Image.BuildConfig == nil {
			t.Image.Build = &yes
		}
	}
	switch h := t.Image.History; {
	case h == nil:
		n := DefaultHistoryCount
		t.Image.History = &ImageHistory{Strategy: HistoryLocal, Count: &n}
	case h.Strategy == "" || h.Strategy == HistoryLocal:
		h.Strategy = HistoryLocal
		if h.Count == nil {
			n := DefaultHistoryCount
			h.Count = &n
		}
	}
	if t.DeploymentStrategy == "" {
		t.DeploymentStrategy = DeploymentRolling
	}
	if t.HealthCheckPath == "" {
		t.HealthCheckPath = DefaultHealthCheckPath
	}
	if t.Port == "" {
		t.Port = DefaultPort
	}
	if t.Replicas == nil {
		n := DefaultReplicas
		t.Replicas = &n
	}
	if t.MinReadySeconds == nil {
		n := DefaultMinReadySeconds
		t.MinReadySeconds = &n
	}
}

// addBuildArgs adds each env entry marked build_arg to the build's args,
// unless an arg of that name is given explicitly, when the image is built.
func addBuildArgs(t *TargetConfig) {
	if t.Image == nil || !t.Image.ShouldBuild() {
		return
	}
	for _, e := range t.Env {
		if !e.BuildArg {
			continue
		}
		if t.Image.BuildConfig == nil {
			t.Image.BuildConfig = &BuildConfig{}
		}
		if slices.ContainsFunc(t.Image.BuildConfig.Args, func(a BuildArg) bool { return a.Name == e.Name }) {
			continue
		}
		t.Image.BuildConfig.Args = append(t.Image.BuildConfig.Args, BuildArg{Name: e.Name, Value: e.Value, From: e.From})
	}
}

// FieldPath returns the dotted key path of field (a key of TargetConfig,
// e.g. "api_token") as target sees it: under targets.<target> when the
// target sets the field, else at the top level.
func (c *AppConfig) FieldPath(target, field string) string {
	t, ok := c.Targets[target]
	if !ok || !t.sets(field) {
		return field
	}
	return "targets." + target + "." + field
}

// sets reports whether the target writes the key field.
func (t *TargetConfig) sets(field string) bool {
	switch field {
	case "name":
		return t.Name != ""
	case "preset":
		return t.Preset != ""
	case "image":
		return t.Image != nil
	case "image_key":
		return t.ImageKey != ""
	case "server":
		return t.Server != ""
	case "api_token":
		return t.APIToken != nil
	case "deployment_strategy":
		return t.DeploymentStrategy != ""
	case "naming_strategy":
		return t.NamingStrategy != ""
	case "protected":
		return t.Protected != nil
	case "domains":
		return t.Domains != nil
	case "env":
		return t.Env != nil
	case "health_check_path":
		return t.HealthCheckPath != ""
	case "min_ready_seconds":
		return t.MinReadySeconds != nil
	case "port":
		return t.Port != ""
	case "replicas":
		return t.Replicas != nil
	case "volumes":
		return t.Volumes != nil
	case "network":
		return t.Network != ""
	case "pre_deploy":
		return t.PreDeploy != nil
	case "post_deploy":
		return t.PostDeploy != nil
	}
	return false
}
