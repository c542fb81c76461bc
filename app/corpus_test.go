package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/adapters/sops"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
	"github.com/haloy-auth/haloy/ports"
)

// corpusDir holds configs written from Haloy's documented options: every
// key, every format, every target shape, and the invalid cases.
const corpusDir = "../adapters/configfile/testdata/corpus"

// renderResolution is what the corpus test compares: per target its app,
// server, image, token source and env values, then every error's what.
func renderResolution(res Resolution, err error) string {
	var b strings.Builder
	for _, t := range res.Targets {
		img := "-"
		if t.Config.Image != nil {
			img = t.Config.Image.Ref()
		}
		fmt.Fprintf(&b, "%s: app %s on %s, image %s, port %s", orDash(t.Target), t.App, orDash(t.Server), img, t.Config.Port)
		if t.TokenSource != "" {
			fmt.Fprintf(&b, ", token %s", t.TokenSource)
		}
		for _, e := range t.Env {
			fmt.Fprintf(&b, ", %s=%s", e.Name, e.Value.Reveal())
		}
		if r := t.Registry; r != nil {
			fmt.Fprintf(&b, ", registry %s user %s (%s) password %s (%s)", r.Server, r.Username.Value.Reveal(), r.Username.Source,
				r.Password.Value.Reveal(), r.Password.Source)
		}
		b.WriteString("\n")
	}
	for _, e := range flattenErr(err) {
		var ce *core.Error
		if errors.As(e, &ce) {
			fmt.Fprintf(&b, "error: %s\n", ce.What)
		} else {
			fmt.Fprintf(&b, "error: %v\n", e)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func corpusResolve(t *testing.T) *ValidateConfig {
	fake := porttest.NewFakeCLI(t, "sops", `file=""; for a in "$@"; do file="$a"; done; cat "$file"`+"\n")
	secrets := ports.SecretSources{
		"onepassword": memory.NewSecrets(map[string]map[string]core.Secret{
			"Infrastructure/Haloy API Tokens": {"production": "tok-1p-prod", "stripe": "sk-1p-stripe"}}),
		"sops": sops.NewAt(fake.Bin, 10*time.Second),
	}
	client := core.ClientState{
		Servers: map[string]core.ServerRef{"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"}, "staging.haloy.com": {}},
		Tokens:  map[string]string{"HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "tok-store-prod"},
	}
	env := memory.Env{"PROD_TOKEN": "tok-env-prod", "STAGING_TOKEN": "tok-env-staging", "DB_PASSWORD": "pw-env",
		"DB_URL": "postgres://db", "REGISTRY_PASSWORD": "reg-pw"}
	return NewValidateConfig(NewResolve(configfile.New(), memory.EnvFiles{}, memory.NewClientStore(client), env, secrets, &memory.Notes{}))
}

func TestCorpus(t *testing.T) {
	t.Chdir(corpusDir)
	uc := corpusResolve(t)
	// no error of any config may show a secret value
	scan := leakscan.New(t)
	for name, v := range map[string]string{"env token": "tok-env-prod", "staging token": "tok-env-staging", "db password": "pw-env",
		"registry password": "reg-pw", "1Password token": "tok-1p-prod", "1Password stripe": "sk-1p-stripe",
		"sops token": "tok-sops-prod", "sops db": "pw-sops-db", "store token": "tok-store-prod"} {
		scan.Secret(name, v)
	}
	for _, tt := range corpusCases {
		t.Run(tt.file, func(t *testing.T) {
			res, err := uc.Run(context.Background(), ValidateInput{Config: tt.file, All: true})
			for _, e := range flattenErr(err) {
				var ce *core.Error
				if errors.As(e, &ce) {
					scan.Output(tt.file+" error", []byte(ce.What+"\n"+ce.Why+"\n"+ce.Fix))
				}
			}
			got := renderResolution(res, err)
			if got != tt.want {
				t.Errorf("validate-config -c %s --all:\n got:\n%s\nwant:\n%s", tt.file, got, tt.want)
			}
		})
	}
	// every file of the corpus has its case, and there are at least 40
	var names []string
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	var cased []string
	for _, c := range corpusCases {
		cased = append(cased, c.file)
	}
	slices.Sort(names)
	slices.Sort(cased)
	if !slices.Equal(names, cased) || len(names) < 40 {
		t.Errorf("corpus files %v\nhave cases %v; want one case per file, at least 40", names, cased)
	}
}

// corpusCases are each file's outcome under validate-config --all: every
// target resolved (values and sources), or every error with its line.
var corpusCases = []struct{ file, want string }{
	{"build-locally.yaml", "-: app my-app on production.haloy.com, image my-app:latest, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: build-locally.yaml is not valid: 1 problem\nerror: image \"my-app\" is to be built locally (build-locally.yaml:3)\n"},
	{"domain-invalid.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: domain-invalid.yaml is not valid: 1 problem\nerror: invalid domain \"localhost.localdomain.\" (domain-invalid.yaml:4)\n"},
	{"duplicate-app-names.yaml", "a: app shared on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nb: app shared on staging.haloy.com, image ghcr.io/acme/app:v1, port 8080, token from env STAGING_TOKEN\nerror: duplicate-app-names.yaml is not valid: 1 problem\nerror: targets a and b both deploy the app \"shared\" (duplicate-app-names.yaml:4)\n"},
	{"env-bad-name.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), bad-env=x\nerror: env-bad-name.yaml is not valid: 1 problem\nerror: invalid env variable name \"bad-env\" (env-bad-name.yaml:5)\n"},
	{"env-cycle.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: env-cycle.yaml is not valid: 1 problem\nerror: env entries refer to each other in a cycle: A -> B -> A (env-cycle.yaml:6)\n"},
	{"env-from-env.yaml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), DATABASE_URL=postgres://db, VERSION=1.2.3\n"},
	{"env-interpolation.yaml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), DATABASE_URL=postgres://app:pw-env@db.internal:5432/app, DB_HOST=db.internal:5432, DB_PASSWORD=pw-env\n"},
	{"env-not-a-list.toml", "error: env-not-a-list.toml:5:2: env is a mapping, but it must be a list\n"},
	{"env-self.json", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: env-self.json is not valid: 1 problem\nerror: env entry PATH_LIST refers to itself with ${PATH_LIST} (env-self.json:2)\n"},
	{"env-undefined-ref.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), HOST=example.com\nerror: env-undefined-ref.yaml is not valid: 1 problem\nerror: env entry URL refers to ${HOTS}, which is no env entry of this target (env-undefined-ref.yaml:5)\n"},
	{"everything.json", "-: app everything on production.haloy.com, image ghcr.io/acme/everything:v1.2.3, port 3000, token from env PROD_TOKEN, MODE=full, registry ghcr.io user acme-bot (literal value in everything.json:9) password reg-pw (from env REGISTRY_PASSWORD)\n"},
	{"everything.toml", "-: app everything on production.haloy.com, image ghcr.io/acme/everything:v1.2.3, port 3000, token from env PROD_TOKEN, MODE=full, registry ghcr.io user acme-bot (literal value in everything.toml:25) password reg-pw (from env REGISTRY_PASSWORD)\n"},
	{"everything.yaml", "-: app everything on production.haloy.com, image ghcr.io/acme/everything:v1.2.3, port 3000, token from env PROD_TOKEN, MODE=full, registry ghcr.io user acme-bot (literal value in everything.yaml:11) password reg-pw (from env REGISTRY_PASSWORD)\n"},
	{"from-env-dollar.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080\nerror: from-env-dollar.yaml is not valid: 1 problem\nerror: no API token for server \"production.haloy.com\"\n"},
	{"from-value-and-env.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: from-value-and-env.yaml is not valid: 1 problem\nerror: env entry A sets several values (from-value-and-env.yaml:5)\n"},
	{"guide-secretProviders.yaml", "production: app production on production.haloy.com, image my-org/my-app:latest, port 8080, token 1Password Infrastructure/Haloy API Tokens field production\n"},
	{"health-path.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: health-path.yaml is not valid: 1 problem\nerror: health_check_path \"health\" does not start with / (health-path.yaml:4)\n"},
	{"image-and-key.yaml", "web: app web on production.haloy.com, image ghcr.io/acme/other:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: image-and-key.yaml is not valid: 1 problem\nerror: target \"web\": both image and image_key are set (image-and-key.yaml:7)\n"},
	{"image-key-unknown.yaml", "site: app site on production.haloy.com, image site:latest, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: image-key-unknown.yaml is not valid: 1 problem\nerror: target \"site\": image_key \"wbe\" names no image (image-key-unknown.yaml:6)\n"},
	{"image-key.json", "frontend: app frontend on production.haloy.com, image ghcr.io/acme/web:v3, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"image-key.yaml", "web: app web on production.haloy.com, image ghcr.io/acme/web:v3, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nworker: app worker on production.haloy.com, image ghcr.io/acme/worker:v7, port 9000, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"image-merge.yaml", "canary: app canary on production.haloy.com, image ghcr.io/acme/app:v2-rc1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"issue-example.json", "-: app my-app on production.haloy.com, image ghcr.io/you/my-app:latest, port 8080, token from env PROD_TOKEN, DATABASE_URL=postgres://x\n"},
	{"issue-example.toml", "-: app my-app on production.haloy.com, image ghcr.io/you/my-app:latest, port 8080, token from env PROD_TOKEN, DATABASE_URL=postgres://x\n"},
	{"issue-example.yaml", "-: app my-app on production.haloy.com, image ghcr.io/you/my-app:latest, port 8080, token from env PROD_TOKEN, DATABASE_URL=postgres://x\n"},
	{"issue-example.yml", "-: app my-app on production.haloy.com, image ghcr.io/you/my-app:latest, port 8080, token from env PROD_TOKEN, DATABASE_URL=postgres://x\n"},
	{"json-syntax.json", "error: json-syntax.json:1:31: invalid JSON here\n"},
	{"min-ready-too-long.yml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: min-ready-too-long.yml is not valid: 1 problem\nerror: min_ready_seconds is 900 (min-ready-too-long.yml:4)\n"},
	{"multi-target.toml", "production: app production on production.haloy.com, image ghcr.io/acme/site:v4, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nstaging: app staging on staging.haloy.com, image ghcr.io/acme/site:v4, port 8080, token from env STAGING_TOKEN, ROBOTS=noindex\n"},
	{"name-unicode.yml", "-: app appé on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: name-unicode.yml is not valid: 1 problem\nerror: invalid app name \"appé\" (name-unicode.yml:1)\n"},
	{"name-with-spaces.yaml", "-: app my app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: name-with-spaces.yaml is not valid: 1 problem\nerror: invalid app name \"my app\" (name-with-spaces.yaml:1)\n"},
	{"no-image.yaml", "-: app my-app on production.haloy.com, image my-app:latest, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: no-image.yaml is not valid: 1 problem\nerror: no image to deploy for app \"my-app\"\n"},
	{"no-name.yaml", "-: app  on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: no-name.yaml is not valid: 1 problem\nerror: no app name\n"},
	{"no-server-several-configured.yaml", "-: app my-app on -, image ghcr.io/acme/app:v1, port 8080\nerror: no-server-several-configured.yaml is not valid: 1 problem\nerror: several servers are configured and no-server-several-configured.yaml names none\n"},
	{"placeholder-token.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080\nerror: placeholder-token.yaml is not valid: 1 problem\nerror: no API token for server \"production.haloy.com\"\n"},
	{"port-out-of-range.json", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 70000, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: port-out-of-range.json is not valid: 1 problem\nerror: invalid port \"70000\" (port-out-of-range.json:2)\n"},
	{"preset-database.yaml", "-: app postgres on production.haloy.com, image postgres:17, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), POSTGRES_PASSWORD=pw-env\n"},
	{"preset-service.toml", "-: app redis on production.haloy.com, image redis:7, port 6379, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"preset-unknown.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: preset-unknown.yaml is not valid: 1 problem\nerror: unknown preset \"cache\" (preset-unknown.yaml:4)\n"},
	{"registry-env-missing.toml", "-: app private on production.haloy.com, image registry.example.com/acme/private:v9, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), registry  user bot (literal value in registry-env-missing.toml:8) password  ()\nerror: registry-env-missing.toml is not valid: 1 problem\nerror: image.registry.password: from.env names REGISTRY_PASSWORD_UNSET (registry-env-missing.toml:8), which is not set\n"},
	{"registry-history-latest.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:latest, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: registry-history-latest.yaml is not valid: 1 problem\nerror: image.tag \"latest\" can change under the registry strategy (registry-history-latest.yaml:5)\n"},
	{"registry-secrets.yaml", "-: app private on production.haloy.com, image registry.example.com/acme/private:v9, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), registry  user tok-sops-prod (SOPS file secrets/prod.enc.yaml field API_TOKEN) password sk-1p-stripe (1Password Infrastructure/Haloy API Tokens field stripe)\n"},
	{"replicas-zero.toml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: replicas-zero.toml is not valid: 1 problem\nerror: replicas is 0 (replicas-zero.toml:4)\n"},
	{"secret-1password.yaml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token 1Password Infrastructure/Haloy API Tokens field production, STRIPE_KEY=sk-1p-stripe\n"},
	{"secret-sops.json", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token SOPS file secrets/prod.enc.yaml field API_TOKEN, DB_PASSWORD=pw-sops-db\n"},
	{"secret-sops.toml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token SOPS file secrets/prod.enc.yaml field API_TOKEN, DB_PASSWORD=pw-sops-db\n"},
	{"secret-sops.yaml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token SOPS file secrets/prod.enc.yaml field API_TOKEN, DB_PASSWORD=pw-sops-db\n"},
	{"short-image-target.yaml", "proxy: app proxy on production.haloy.com, image nginx:1.27, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"short-image.yaml", "-: app web on production.haloy.com, image nginx:1.27, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\n"},
	{"snake-case-in-json.json", "error: snake-case-in-json.json:2:2: unknown key \"api_token\"\n"},
	{"sops-key-missing.yaml", "-: app api on production.haloy.com, image ghcr.io/acme/api:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: sops-key-missing.yaml is not valid: 1 problem\nerror: env entry DB_PASSWORD: field \"db.pasword\" not found in SOPS file secrets/prod.enc.yaml (sops-key-missing.yaml:5)\n"},
	{"static-needs-replace.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: static-needs-replace.yaml is not valid: 1 problem\nerror: naming_strategy static needs deployment_strategy replace (static-needs-replace.yaml:4)\n"},
	{"targets-inherit.yaml", "production: app production on production.haloy.com, image ghcr.io/acme/shop:v1.0.0, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env), LOG_LEVEL=warn, REGION=eu, FEATURE_X=on\nstaging: app staging on staging.haloy.com, image ghcr.io/acme/shop:v1.0.0, port 8080, token from env STAGING_TOKEN, LOG_LEVEL=info, REGION=eu\n"},
	{"targets-named.yml", "eu: app api-eu on production.haloy.com, image ghcr.io/acme/api:v2, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nus: app api-us on staging.haloy.com, image ghcr.io/acme/api:v2, port 8080, token from env STAGING_TOKEN\n"},
	{"token-as-string.yaml", "error: token-as-string.yaml:3:12: api_token is a string, but it must be a mapping\n"},
	{"toml-syntax.toml", "error: toml-syntax.toml:2:7: expected '=' after key\n"},
	{"unknown-key-in-domain.json", "error: unknown-key-in-domain.json:2:42: unknown key \"alias\"\n"},
	{"unknown-key-in-env.yaml", "error: unknown-key-in-env.yaml:6:5: unknown key \"valu\"\n"},
	{"unknown-key.yaml", "error: unknown-key.yaml:4:1: unknown key \"replicass\"\n"},
	{"volume-relative.yaml", "-: app my-app on production.haloy.com, image ghcr.io/acme/app:v1, port 8080, token client store HALOY_API_TOKEN_PRODUCTION_HALOY_COM (set in the config directory's .env)\nerror: volume-relative.yaml is not valid: 1 problem\nerror: invalid volume \"./data:/data\" (volume-relative.yaml:4)\n"},
}
