package core

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file pin exact limits and character-range bounds, each
// on both sides: a mutation of one comparison makes one of them fail
// (docs/testing.md, "Mutation testing").

// domainOf returns a name of n bytes of labels of a's, each at most 63.
func domainOf(n int) string {
	var labels []string
	for n > 0 {
		l := min(63, n)
		if n-l == 1 { // a last label of 0 bytes would leave a trailing dot
			l--
		}
		labels = append(labels, strings.Repeat("a", l))
		n -= l + 1
	}
	return strings.Join(labels, ".")
}

func TestDomainOf(t *testing.T) {
	for _, n := range []int{5, 63, 64, 65, 127, 128, 253, 254} {
		if got := len(domainOf(n)); got != n {
			t.Errorf("len(domainOf(%d)) = %d", n, got)
		}
	}
}

func TestNormalizeServerEdges(t *testing.T) {
	accepted := []struct{ in, want string }{
		// every end of each character range in a label
		{"az09.example.com", "az09.example.com"},
		{"z.example.com", "z.example.com"},
		{"a.example.com", "a.example.com"},
		{"x0.example.com", "x0.example.com"},
		{"x9.example.com", "x9.example.com"},
		{"AZ.example.com", "az.example.com"},
		{domainOf(253), domainOf(253)},
		{"localhost:1", "localhost:1"},
		{"localhost:65535", "localhost:65535"},
		{"127.0.0.1:65535", "127.0.0.1:65535"},
		// bare IPv6 addresses with exactly two colons
		{"::1", "[::1]"},
		{"fe80::1", "[fe80::1]"},
		{"[::1]:1", "[::1]:1"},
	}
	for _, tt := range accepted {
		got, err := NormalizeServer(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeServer(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	refused := []struct{ in, why string }{
		// the bytes just outside each range: '`' < 'a', '{' > 'z', '/' < '0' and ':' > '9' cannot
		// be tried inside a label, they mean a path and a port
		{"a`b.example.com", "it contains the invalid character '`'; a domain has only letters, digits, hyphens and dots"},
		{"a{b.example.com", "it contains the invalid character '{'; a domain has only letters, digits, hyphens and dots"},
		{"a_b.example.com", "it contains the invalid character '_'; a domain has only letters, digits, hyphens and dots"},
		{domainOf(254), "the name is 254 bytes long; a domain has at most 253"},
		{"localhost:0", `the port "0" is not a number from 1 to 65535`},
		{"localhost:65536", `the port "65536" is not a number from 1 to 65535`},
		{"localhost:01", `the port "01" is not a number from 1 to 65535`},
		{"localhost:+1", `the port "+1" is not a number from 1 to 65535`},
	}
	for _, tt := range refused {
		_, err := NormalizeServer(tt.in)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Why != tt.why {
			t.Errorf("NormalizeServer(%q) = %v, want a *Error of Kind Invalid saying %q", tt.in, err, tt.why)
		}
	}
}

func TestIsLoopbackServerIPv6(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"[::1]", true}, {"[::1]:9922", true}, {"localhost", true}, {"localhost:1", true}, {"127.0.0.1:65535", true},
		{"[fe80::1]", false}, {"[2001:db8::1]", false}, {"example.com", false},
	} {
		if got := IsLoopbackServer(tt.in); got != tt.want {
			t.Errorf("IsLoopbackServer(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseSecretRefProviderBounds(t *testing.T) {
	for _, p := range []string{"azAZ09-_", "a", "z", "A", "Z", "0", "9"} {
		raw := p + ":src:key"
		got, err := ParseSecretRef(raw)
		if err != nil || got.Provider != p {
			t.Errorf("ParseSecretRef(%q) = %+v, %v, want provider %q", raw, got, err, p)
		}
	}
	// the bytes just outside each range
	for _, p := range []string{"a`", "a{", "a@", "a[", "a/", "a.b", "a b"} {
		raw := p + ":src:key"
		if _, err := ParseSecretRef(raw); err == nil {
			t.Errorf("ParseSecretRef(%q) = nil error, want the provider %q refused", raw, p)
		}
	}
}

// TestCheckDeployRequestLimits: every length limit of a deploy request
// accepts its limit and refuses one more.
func TestCheckDeployRequestLimits(t *testing.T) {
	good := func() DeployRequest {
		return DeployRequest{DeploymentID: "01jdz3t4q9w2v1s6m8k0r5n7xb", TargetConfig: DeployTarget{Name: "my-app", Server: "prod.example.com",
			Image:   &DeployImage{Repository: "ghcr.io/acme/my-app", Tag: "v1.2.3"},
			Domains: []Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}},
			Env:     []DeployEnv{{Name: "DATABASE_URL", Value: "x"}}}}
	}
	domains := func(n int) []Domain {
		out := make([]Domain, n)
		for i := range out {
			out[i] = Domain{Domain: "d" + strconv.Itoa(i) + ".example.com"}
		}
		return out
	}
	envs := func(n int) []DeployEnv {
		out := make([]DeployEnv, n)
		for i := range out {
			out[i] = DeployEnv{Name: "V" + strconv.Itoa(i)}
		}
		return out
	}
	type req = DeployRequest
	tests := []struct {
		name     string
		ok, over func(*req)
	}{
		{"app_255", func(d *req) { d.TargetConfig.Name = strings.Repeat("a", 255) }, func(d *req) { d.TargetConfig.Name = strings.Repeat("a", 256) }},
		{"server_255", func(d *req) { d.TargetConfig.Server = strings.Repeat("s", 255) }, func(d *req) { d.TargetConfig.Server = strings.Repeat("s", 256) }},
		{"repository_255", func(d *req) { d.TargetConfig.Image.Repository = strings.Repeat("r", 255) }, func(d *req) { d.TargetConfig.Image.Repository = strings.Repeat("r", 256) }},
		{"tag_128", func(d *req) { d.TargetConfig.Image.Tag = strings.Repeat("v", 128) }, func(d *req) { d.TargetConfig.Image.Tag = strings.Repeat("v", 129) }},
		{"domains_100", func(d *req) { d.TargetConfig.Domains = domains(100) }, func(d *req) { d.TargetConfig.Domains = domains(101) }},
		{"domain_253", func(d *req) { d.TargetConfig.Domains = []Domain{{Domain: domainOf(253)}} }, func(d *req) { d.TargetConfig.Domains = []Domain{{Domain: domainOf(254)}} }},
		{"alias_253", func(d *req) { d.TargetConfig.Domains[0].Aliases = []string{domainOf(253)} }, func(d *req) { d.TargetConfig.Domains[0].Aliases = []string{domainOf(254)} }},
		{"health_check_path_255", func(d *req) { d.TargetConfig.HealthCheckPath = "/" + strings.Repeat("h", 254) }, func(d *req) { d.TargetConfig.HealthCheckPath = "/" + strings.Repeat("h", 255) }},
		{"replicas_100", func(d *req) { n := 100; d.TargetConfig.Replicas = &n }, func(d *req) { n := 101; d.TargetConfig.Replicas = &n }},
		{"env_500", func(d *req) { d.TargetConfig.Env = envs(500) }, func(d *req) { d.TargetConfig.Env = envs(501) }},
		{"env_name_255", func(d *req) { d.TargetConfig.Env[0].Name = strings.Repeat("E", 255) }, func(d *req) { d.TargetConfig.Env[0].Name = strings.Repeat("E", 256) }},
		{"env_value_64k", func(d *req) { d.TargetConfig.Env[0].Value = EnvValue(strings.Repeat("v", 64<<10)) }, func(d *req) { d.TargetConfig.Env[0].Value = EnvValue(strings.Repeat("v", 64<<10+1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good()
			tt.ok(&d)
			if err := CheckDeployRequest(d); err != nil {
				t.Errorf("CheckDeployRequest at the limit = %v, want nil", err)
			}
			d = good()
			tt.over(&d)
			var e *Error
			if err := CheckDeployRequest(d); !errors.As(err, &e) || e.Kind != Invalid {
				t.Errorf("CheckDeployRequest one over the limit = %v, want a *Error of Kind Invalid", err)
			}
		})
	}
}

// TestDeployRequestClipsAt64: a value quoted in an error is cut after 64
// bytes, and one of exactly 64 is quoted whole.
func TestDeployRequestClipsAt64(t *testing.T) {
	for _, tt := range []struct{ value, quoted string }{
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
		{strings.Repeat("x", 65), strings.Repeat("x", 64) + "..."},
	} {
		d := DeployRequest{DeploymentID: "01jdz3t4q9w2v1s6m8k0r5n7xb", TargetConfig: DeployTarget{Name: "my-app", Server: "prod.example.com",
			Image: &DeployImage{Repository: "ghcr.io/acme/my-app"}, Preset: tt.value}}
		want := "invalid preset " + strconv.Quote(tt.quoted)
		var e *Error
		if err := CheckDeployRequest(d); !errors.As(err, &e) || e.What != want {
			t.Errorf("CheckDeployRequest(preset of %d bytes) = %v, want What %q", len(tt.value), err, want)
		}
	}
}

// TestValueAndSecretBothSet: value and from.secret exclude each other like
// every other pair, in api_token and in registry credentials.
func TestValueAndSecretBothSet(t *testing.T) {
	for _, from := range []*ValueFrom{{Secret: "onepassword:api-tokens:production"}, {Env: "PROD_TOKEN"}} {
		_, err := ResolveToken(TokenInput{Server: "prod.haloy.com", Where: "haloy.yaml:5", File: "haloy.yaml",
			APIToken: &APITokenConfig{Value: "tok-literal", From: from},
			Env:      Env{{Lookup: MapLookup(map[string]string{"PROD_TOKEN": "tok-env"})}}})
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || !strings.Contains(e.Why, "sets several values") {
			t.Errorf("ResolveToken with value and %+v = %v, want a *Error of Kind Invalid saying it sets several values", *from, err)
		}
		if err != nil && strings.Contains(err.Error(), "tok-") {
			t.Errorf("ResolveToken error shows a value: %v", err)
		}
	}
	_, err := ResolveToken(TokenInput{Server: "prod.haloy.com", Where: "haloy.yaml:5", File: "haloy.yaml",
		APIToken: &APITokenConfig{From: &ValueFrom{Env: "PROD_TOKEN", Secret: "onepassword:api-tokens:production"}}})
	if e := (*Error)(nil); !errors.As(err, &e) || e.Kind != Invalid {
		t.Errorf("ResolveToken with from.env and from.secret = %v, want a *Error of Kind Invalid", err)
	}
	for _, tt := range []struct {
		v    ValueSource
		want string
	}{
		{ValueSource{Value: "x", From: &ValueFrom{Secret: "op:s:k"}}, "sets several values"},
		{ValueSource{Value: "x", From: &ValueFrom{Env: "E"}}, "sets several values"},
		{ValueSource{From: &ValueFrom{Env: "E", Secret: "op:s:k"}}, "sets several values"},
		{ValueSource{From: &ValueFrom{Secret: "op:s:k"}}, ""},
		{ValueSource{From: &ValueFrom{}}, "sets no value"},
		{ValueSource{Value: "x"}, ""},
	} {
		if got := valueSourceProblem(tt.v); got != tt.want {
			t.Errorf("valueSourceProblem(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestForceOnEntryWithoutTokenEnv: a client.yaml entry without token_env
// (hand-written) gets haloy's variable on --force, never the variable "".
func TestForceOnEntryWithoutTokenEnv(t *testing.T) {
	st := ClientState{Servers: map[string]ServerRef{"a.example.com": {CACert: "/etc/ca.pem"}}, Tokens: map[string]string{"OTHER": "kept"}}
	got, err := st.Add(AddServer{Server: "a.example.com", Token: "tok-new", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Added{Server: "a.example.com", TokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM", HaloyTokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM", Replaced: true}
	if got != want {
		t.Errorf("Add --force = %+v, want %+v", got, want)
	}
	if ref := st.Servers["a.example.com"]; ref.TokenEnv != want.TokenEnv || ref.CACert != "/etc/ca.pem" {
		t.Errorf("entry after Add --force = %+v, want token_env %s and the CA kept", ref, want.TokenEnv)
	}
	if _, bad := st.Tokens[""]; bad || st.Tokens[want.TokenEnv] != "tok-new" || st.Tokens["OTHER"] != "kept" {
		t.Errorf("tokens after Add --force = %v", st.Tokens)
	}
}

func TestCheckTokenNameBounds(t *testing.T) {
	// the first byte is a letter: each end of both ranges, and the bytes
	// just outside them ('@' < 'A', '[' > 'Z', '`' < 'a', '{' > 'z')
	for _, name := range []string{"a", "z", "A", "Z", "az09AZ-_.", "x-Z", "x-z", "x0", "x9"} {
		if err := CheckTokenName(name); err != nil {
			t.Errorf("CheckTokenName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"@x", "[x", "`x", "{x", "x@", "x[", "x`", "x{", "x/", "x:"} {
		if err := CheckTokenName(name); err == nil {
			t.Errorf("CheckTokenName(%q) = nil, want an error", name)
		}
	}
}

func TestWhereUnknownLine(t *testing.T) {
	c := &AppConfig{File: "haloy.yaml", Lines: map[string]int{"name": 3, "image": 0}}
	for path, want := range map[string]string{"name": "haloy.yaml:3", "image": "haloy.yaml", "missing": "haloy.yaml"} {
		if got := c.Where(path); got != want {
			t.Errorf("Where(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestClosestEdges(t *testing.T) {
	tests := []struct {
		s          string
		candidates []string
		want       string
	}{
		// two characters are enough for a unique prefix
		{"pr", []string{"production", "staging"}, "production"},
		// an exact match stays the best, whatever comes after it
		{"prod", []string{"prod", "production"}, "prod"},
		{"a", []string{"a", "b"}, "a"},
		// on a tie the first candidate wins
		{"prodx", []string{"prody", "prodz"}, "prody"},
	}
	for _, tt := range tests {
		if got := Closest(tt.s, tt.candidates); got != tt.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tt.s, tt.candidates, got, tt.want)
		}
	}
}

// TestCheckImageFromImagesKey: an image picked with image_key is checked,
// and its errors point at its own lines under images:.
func TestCheckImageFromImagesKey(t *testing.T) {
	badRegistry := func() *Image {
		return &Image{Repository: "ghcr.io/acme/app", Tag: "v1", Registry: &RegistryAuth{Server: "bad host",
			Username: ValueSource{Value: "u"}, Password: ValueSource{From: &ValueFrom{Env: "P"}}}}
	}
	c := AppConfig{File: "haloy.yaml", TargetConfig: TargetConfig{Name: "my-app", Server: "s.haloy.com", ImageKey: "web"},
		Images: map[string]*Image{"web": badRegistry()},
		Lines:  map[string]int{"name": 1, "server": 2, "image_key": 3, "images": 5, "images.web": 6, "images.web.registry": 9, "images.web.registry.server": 10}}
	var got []string
	for _, err := range c.Check("") {
		got = append(got, err.Error())
	}
	if len(got) != 1 || !strings.Contains(got[0], "image.registry.server contains whitespace (haloy.yaml:10)") {
		t.Errorf("Check() = %q, want one error about image.registry.server at haloy.yaml:10", got)
	}
	// an image of its own is checked even beside an image_key that names
	// no image (which Resolve reports)
	c = AppConfig{File: "haloy.yaml", TargetConfig: TargetConfig{Name: "my-app", Server: "s.haloy.com", Image: badRegistry(), ImageKey: "missing"}}
	got = nil
	for _, err := range c.Check("") {
		got = append(got, err.Error())
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "image.registry.server contains whitespace") }) {
		t.Errorf("Check() with image: and an unknown image_key = %q, want the image's registry error too", got)
	}
}

// TestAppConfigCheckLimits: each limit of the app config accepts its ends
// and refuses one past them.
func TestAppConfigCheckLimits(t *testing.T) {
	valid := func() AppConfig {
		return AppConfig{File: "haloy.yaml", TargetConfig: TargetConfig{Name: "my-app", Server: "s.haloy.com",
			Image: &Image{Repository: "ghcr.io/acme/app", Tag: "v1"}}}
	}
	n := func(i int) *int { return &i }
	history := func(strategy HistoryStrategy, count int) func(*AppConfig) {
		return func(c *AppConfig) { c.Image.History = &ImageHistory{Strategy: strategy, Count: n(count)} }
	}
	registry := func(count int) func(*AppConfig) {
		return func(c *AppConfig) {
			c.Image.History = &ImageHistory{Strategy: HistoryRegistry, Count: n(count), Pattern: "v*"}
		}
	}
	tests := []struct {
		name   string
		change func(*AppConfig)
		ok     bool
	}{
		{"port_1", func(c *AppConfig) { c.Port = "1" }, true},
		{"port_65535", func(c *AppConfig) { c.Port = "65535" }, true},
		{"port_0", func(c *AppConfig) { c.Port = "0" }, false},
		{"port_65536", func(c *AppConfig) { c.Port = "65536" }, false},
		{"port_word", func(c *AppConfig) { c.Port = "http" }, false},
		{"min_ready_0", func(c *AppConfig) { c.MinReadySeconds = n(0) }, true},
		{"min_ready_600", func(c *AppConfig) { c.MinReadySeconds = n(600) }, true},
		{"min_ready_-1", func(c *AppConfig) { c.MinReadySeconds = n(-1) }, false},
		{"min_ready_601", func(c *AppConfig) { c.MinReadySeconds = n(601) }, false},
		{"history_local_1", history(HistoryLocal, 1), true},
		{"history_local_0", history(HistoryLocal, 0), false},
		// the registry strategy's count has the same floor; pattern and tag
		// are valid, so the count is the only thing wrong
		{"history_registry_1", registry(1), true},
		{"history_registry_0", registry(0), false},
		// with no server the client store picks one: the config itself is valid
		{"no_server", func(c *AppConfig) { c.Server = "" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			errs := c.Check("")
			if tt.ok != (len(errs) == 0) {
				t.Errorf("Check() = %v, want ok: %v", errs, tt.ok)
			}
			// a bad port is named where it is written, before the deploy check
			if strings.HasPrefix(tt.name, "port_") && !tt.ok && (len(errs) == 0 || !strings.HasPrefix(errs[0].Error(), "invalid port "+strconv.Quote(string(c.Port))+" (haloy.yaml)")) {
				t.Errorf("Check() = %v, want first the app config's own invalid port error", errs)
			}
		})
	}
}

func TestSuggestEnvNameBounds(t *testing.T) {
	for in, want := range map[string]string{
		"az":       "AZ",
		"AZ09_":    "AZ09_",
		"bad-env":  "BAD_ENV",
		"@[/:":     "____",
		"0x":       "_0X",
		"9x":       "_9X",
		"x0":       "X0",
		"/x":       "_X", // '/' is just below '0': replaced, and no '_' prefix added
		":x":       "_X",
		"":         "_",
		"a`{b":     "A__B",
		"Zürich 1": "Z_RICH_1",
	} {
		if got := SuggestEnvName(in); got != want {
			t.Errorf("SuggestEnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomainProblemBounds(t *testing.T) {
	label63 := strings.Repeat("b", 63)
	for _, name := range []string{domainOf(253), label63 + ".com", "az.AZ09.example.com", "a-z.example.com", "x.example.zz", "localhost"} {
		if why := domainProblem(name); why != "" {
			t.Errorf("domainProblem(%q) = %q, want accepted", name, why)
		}
	}
	for _, name := range []string{"", domainOf(254), label63 + "b.com", "a`.example.com", "a{.example.com", "a@.example.com", "a[.example.com",
		"a/.example.com", "a:.example.com", "example.c-m", "example.c", "com"} {
		if why := domainProblem(name); why == "" {
			t.Errorf("domainProblem(%q) = \"\", want a problem", name)
		}
	}
}

func TestVolumeProblemWindowsDrives(t *testing.T) {
	const windows = "a Windows path cannot be mounted on the Linux server"
	for _, v := range []string{`a:/x`, `z:/x`, `A:\x`, `Z:/x`, `C:/data:/app`, `C:/`} {
		if got := volumeProblem(v); got != windows {
			t.Errorf("volumeProblem(%q) = %q, want %q", v, got, windows)
		}
	}
	// a longer volume name is no drive, and the bytes beside the letter
	// ranges are not drive letters
	for _, v := range []string{"ab:/data", "data:/app/x:ro"} {
		if got := volumeProblem(v); got != "" {
			t.Errorf("volumeProblem(%q) = %q, want accepted", v, got)
		}
	}
	for _, v := range []string{"`:/x", "{:/x", "@:/x", "[:/x"} {
		if got := volumeProblem(v); got == windows {
			t.Errorf("volumeProblem(%q) = %q, want it not taken for a drive letter", v, got)
		}
	}
}

// The fix for a config with no image names the app's image after the app,
// or after my-app when the config has no name either.
func TestCheckNoImageFix(t *testing.T) {
	for name, want := range map[string]string{
		"blog": "add to haloy.yaml: image: {repository: ghcr.io/you/blog, tag: latest}",
		"":     "add to haloy.yaml: image: {repository: ghcr.io/you/my-app, tag: latest}",
	} {
		c := AppConfig{File: "haloy.yaml", TargetConfig: TargetConfig{Name: name, Server: "s.haloy.com"}}
		var fixes []string
		for _, err := range c.Check("") {
			if e, ok := errors.AsType[*Error](err); ok && strings.HasPrefix(e.What, "no image to deploy") {
				fixes = append(fixes, e.Fix)
			}
		}
		if len(fixes) != 1 || fixes[0] != want {
			t.Errorf("Check() with name %q: fixes of the no-image error = %q, want [%q]", name, fixes, want)
		}
	}
}

// TestNormalizeServerMarkAtStart: a scheme, path, user info or port that
// begins at the very first byte is still reported as what it is, with a fix
// that can be pasted, and a scheme shorter than https:// is cut at its own
// length. Each case hits an index of 0, where >= 0 and > 0 part.
func TestNormalizeServerMarkAtStart(t *testing.T) {
	const empty = "give the server's domain or IP address, e.g. haloy server add haloy.example.com"
	tests := []struct {
		name, in  string
		what, why string
		fix       string
	}{
		{"empty_scheme", "://haloy.example.com", `invalid server "://haloy.example.com"`,
			"it starts with ://, and haloy adds https:// itself", "remove ://: haloy server add haloy.example.com"},
		{"short_scheme", "ws://haloy.example.com", `invalid server "ws://haloy.example.com"`,
			"it starts with ws://, and haloy adds https:// itself", "remove ws://: haloy server add haloy.example.com"},
		// the password is hidden, and the user name before it kept, even
		// when the :// in front has no scheme
		{"empty_scheme_user_info", "://user:pw@haloy.example.com", `invalid server "://user:***@haloy.example.com"`,
			"it starts with ://, and haloy adds https:// itself", "remove ://: haloy server add haloy.example.com"},
		{"path_only", "/haloy.example.com", `invalid server "/haloy.example.com"`,
			"it has a path (/haloy.example.com); a server is a host name only", "remove /haloy.example.com"},
		{"empty_user_info", "@haloy.example.com", `invalid server "@haloy.example.com"`,
			"it has user info (@); haloy authenticates with the API token", "remove @: haloy server add haloy.example.com"},
		{"port_only", ":9922", `invalid server ":9922"`, "the server name is empty", empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NormalizeServer(tt.in)
			want := Error{Kind: Invalid, What: tt.what, Why: tt.why, Fix: tt.fix}
			if e, ok := errors.AsType[*Error](err); !ok || *e != want {
				t.Errorf("NormalizeServer(%q) = %#v, want %#v", tt.in, err, want)
			}
		})
	}
}

// TestServerKeyCanonical: a stored name and a spelling of it meet on the
// normalized form (an IDN typed in Unicode finds its punycode entry), and
// two names haloy refuses match only when they are the same name, never
// because both are refused.
func TestServerKeyCanonical(t *testing.T) {
	servers := map[string]ServerRef{"xn--bcher-kva.example.com": {}, "bad name!": {}}
	for in, want := range map[string]string{
		"Bücher.Example.com.": "xn--bcher-kva.example.com",
		"BAD NAME!.":          "bad name!",
		"other name?":         "",
	} {
		if got, ok := ServerKey(servers, in); got != want || ok != (want != "") {
			t.Errorf("ServerKey(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// A server name that is not valid UTF-8 is refused: IDNA would turn each
// invalid byte into U+FFFD, and a\x80, a\xff and a\xc3 would all be stored
// as the same punycode name, one the user never typed. (It also makes
// isASCII's `>= utf8.RuneSelf` boundary unobservable: a lone 0x80 is
// invalid UTF-8.)
func TestNormalizeServerInvalidUTF8(t *testing.T) {
	for _, in := range []string{"a\x80.example.com", "a\xff.example.com", "a\xc3.example.com", "\x80", "a\xc3.example.com:8443"} {
		got, err := NormalizeServer(in)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Why != "it is not valid UTF-8 text" {
			t.Errorf("NormalizeServer(%q) = %q, %v; want the Invalid error naming invalid UTF-8", in, got, err)
		}
	}
	if got, err := NormalizeServer("bücher.example.com"); err != nil || got != "xn--bcher-kva.example.com" {
		t.Errorf("NormalizeServer(bücher.example.com) = %q, %v; want xn--bcher-kva.example.com", got, err)
	}
}
