package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/adapters/porttest"
)

// ulid matches a deployment id: 26 characters of Crockford's base32, lower case as Haloy makes them.
var ulid = regexp.MustCompile(`\b[0-9a-hjkmnp-tv-z]{26}\b`)

// wantIn fails t unless text holds every piece.
func wantIn(t *testing.T, what, text string, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if !strings.Contains(text, p) {
			t.Errorf("%s does not hold %q:\n%s", what, p, text)
		}
	}
}

// wantNotIn fails t if text holds any piece.
func wantNotIn(t *testing.T, what, text string, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if strings.Contains(text, p) {
			t.Errorf("%s holds %q:\n%s", what, p, text)
		}
	}
}

// wantExit fails t unless r exited with code.
func wantExit(t *testing.T, cmd string, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s = exit %d, want %d\n%s", cmd, r.code, code, r.output())
	}
}

// wantDeployed fails t unless s recorded n deployments of app authorized by
// the token named token.
func wantDeployed(t *testing.T, s *server, app, token string, n int) {
	t.Helper()
	if got := s.Deployed(app, token, n); got != n {
		t.Errorf("server %s recorded %d deployments of %q with token %q, want %d; its log:\n%s", s.Name, got, app, token, n, s.Log())
	}
}

// wantNoAuthFailure fails t if s logged a rejected token: a token meant
// for another server would show up here first.
func wantNoAuthFailure(t *testing.T, s *server) {
	t.Helper()
	if strings.Contains(s.Log(), "auth failure") {
		t.Errorf("server %s logged an authentication failure:\n%s", s.Name, s.Log())
	}
}

// TestGuide runs every scenario of Haloy's server authentication guide
// against real servers, each in its own directories.
func TestGuide(t *testing.T) {
	needBinary(t)

	t.Run("server_add_writes_the_files_the_guide_shows", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, serverOpts{Localhost: true}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, a.Name, a.First)
		c.Add(t, b.Name, b.First)
		for _, bad := range []string{"https://" + a.Name, "haloy.example.com:443"} {
			r := c.RunIn(t, a.First+"\n", nil, "server", "add", bad, "--token-stdin")
			wantExit(t, "haloy server add "+bad, r, 2)
		}
		yaml, err := os.ReadFile(filepath.Join(c.Config, "client.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		varA := "HALOY_API_TOKEN_LOCALHOST_" + a.Name[len("localhost:"):]
		varB := "HALOY_API_TOKEN_" + strings.NewReplacer(".", "_", ":", "_").Replace(b.Name)
		wantIn(t, "client.yaml", string(yaml), "servers:", a.Name, "token_env: "+varA, b.Name, "token_env: "+varB)
		info, err := os.Stat(filepath.Join(c.Config, ".env"))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf(".env has mode %v, want 0600", info.Mode().Perm())
		}
		env, _ := os.ReadFile(filepath.Join(c.Config, ".env"))
		wantIn(t, ".env", string(env), varA+"=", varB+"=")
		r := c.Must(t, "server", "list")
		wantIn(t, "haloy server list", r.stdout, a.Name, varA, b.Name, varB)
		c.Must(t, "server", "delete", a.Name)
		r = c.Must(t, "server", "list")
		wantNotIn(t, "haloy server list after delete", r.stdout, a.Name)
		env, _ = os.ReadFile(filepath.Join(c.Config, ".env"))
		wantNotIn(t, ".env after delete", string(env), varA)
	})

	t.Run("single_server_auto_selected", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{Localhost: true})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.output(), s.Name, "only server", "client store HALOY_API_TOKEN_LOCALHOST_")
		if !ulid.MatchString(r.stdout) {
			t.Errorf("haloy deploy output shows no ULID deployment id:\n%s", r.output())
		}
		wantDeployed(t, s, "my-app", s.FirstName, 1)
		st := c.Must(t, "status")
		wantIn(t, "haloy status", st.stdout, ulid.FindString(r.stdout), s.FirstName)
	})

	t.Run("several_servers_chosen_with_server_line", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, a.Name, a.First)
		c.Add(t, b.Name, b.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", b.Name, ""))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.output(), b.Name)
		wantNotIn(t, "haloy deploy output", r.output(), a.Name)
		wantDeployed(t, b, "my-app", b.FirstName, 1)
		wantDeployed(t, a, "my-app", a.FirstName, 0)
		wantNoAuthFailure(t, a)
	})

	t.Run("several_servers_without_server_line_is_an_error", func(t *testing.T) {
		t.Parallel()
		a, b := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, a.Name, a.First)
		c.Add(t, b.Name, b.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy", r, 2)
		wantIn(t, "haloy deploy stderr", r.stderr, a.Name, b.Name, "server: ")
		for _, s := range []*server{a, b} {
			wantDeployed(t, s, "my-app", s.FirstName, 0)
		}
	})

	t.Run("token_from_env_in_the_environment", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "production-deploy")
		c := newClient(t) // the server is not in the client store: the app config is enough
		c.Env = []string{"PRODUCTION_DEPLOY_TOKEN=" + tok}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PRODUCTION_DEPLOY_TOKEN")))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.output(), "PRODUCTION_DEPLOY_TOKEN")
		wantDeployed(t, s, "my-app", "production-deploy", 1)
	})

	t.Run("token_from_env_in_a_dotenv_file", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "from-dotenv")
		c := newClient(t)
		c.Write(t, ".env", "PRODUCTION_DEPLOY_TOKEN="+tok+"\n")
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PRODUCTION_DEPLOY_TOKEN")))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", "from-dotenv", 1)
	})

	t.Run("token_from_env_in_the_config_directory_dotenv", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "config-dir")
		c := newClient(t)
		c.Add(t, s.Name, s.First) // creates the config directory and its .env
		appendFile(t, filepath.Join(c.Config, ".env"), "PRODUCTION_DEPLOY_TOKEN="+tok+"\n")
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PRODUCTION_DEPLOY_TOKEN")))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", "config-dir", 1)
	})

	t.Run("environment_wins_over_dotenv_files", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		stale := s.Token(t, "stale")
		s.Revoke(t, "stale")
		c := newClient(t)
		c.Write(t, ".env", "PRODUCTION_DEPLOY_TOKEN="+stale+"\n")
		c.Env = []string{"PRODUCTION_DEPLOY_TOKEN=" + s.Token(t, "exported")}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PRODUCTION_DEPLOY_TOKEN")))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", "exported", 1)
	})

	t.Run("token_variable_not_set", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First) // the app config's api_token wins even when it cannot be resolved
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PRODUCTION_API_TOKEN")))
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy", r, 2)
		wantIn(t, "haloy deploy stderr", r.stderr, "PRODUCTION_API_TOKEN", "haloy.yaml")
		wantDeployed(t, s, "my-app", s.FirstName, 0)
	})

	t.Run("token_from_secret_through_1password", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "from-1password")
		op := porttest.NewFakeOp(t, porttest.SecretItems{"Infrastructure/Haloy API Tokens": {"production": tok, "staging": "unused"}})
		c := newClient(t)
		c.Path = filepath.Dir(op.Bin)
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, `api_token:
  from:
    secret: "onepassword:api-tokens.production"
secretProviders:
  onepassword:
    api-tokens:
      vault: "Infrastructure"
      item: "Haloy API Tokens"
`))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.output(), "1Password Infrastructure/Haloy API Tokens field production")
		wantDeployed(t, s, "my-app", "from-1password", 1)
		calls := op.Calls(t)
		if len(calls) != 1 {
			t.Errorf("op was called %d times, want once: %q", len(calls), calls)
		}
		for _, call := range calls {
			leaks.Capture(t, "argv of op", strings.Join(call, " "))
			wantIn(t, "argv of op", strings.Join(call, " "), "item get Haloy API Tokens", "--vault Infrastructure")
		}
	})

	t.Run("token_value_works_with_a_warning", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "literal")
		c := newClient(t)
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, "api_token:\n  value: \""+tok+"\" # Avoid in production!\n"))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy stderr", r.stderr, "warning: api_token.value", "api_token.from.env")
		wantDeployed(t, s, "my-app", "literal", 1)
	})

	t.Run("token_from_HALOY_API_TOKEN", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "ci")
		c := newClient(t)
		c.Env = []string{"HALOY_API_TOKEN=" + tok}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, ""))
		r := c.Must(t, "deploy")
		wantIn(t, "haloy deploy output", r.output(), "HALOY_API_TOKEN")
		wantDeployed(t, s, "my-app", "ci", 1)
	})

	t.Run("client_store_wins_over_HALOY_API_TOKEN", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		other := s.Token(t, "fallback")
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Env = []string{"HALOY_API_TOKEN=" + other}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, ""))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", s.FirstName, 1)
		wantDeployed(t, s, "my-app", "fallback", 0)
	})

	t.Run("app_config_wins_over_client_store", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		tok := s.Token(t, "app-config")
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Env = []string{"APP_TOKEN=" + tok}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("APP_TOKEN")))
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", "app-config", 1)
	})

	t.Run("unknown_server_without_token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "127.0.0.1:9", ""))
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy", r, 2)
		wantIn(t, "haloy deploy stderr", r.stderr, `"127.0.0.1:9"`, "haloy server add 127.0.0.1:9")
	})

	t.Run("production_and_staging_configs", func(t *testing.T) {
		t.Parallel()
		prod, staging := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Env = []string{"PROD_TOKEN=" + prod.Token(t, "prod"), "STAGING_TOKEN=" + staging.Token(t, "staging")}
		c.Write(t, "production.haloy.yaml", appYAML("my-app", prod.Name, fromEnv("PROD_TOKEN")))
		c.Write(t, "staging.haloy.yaml", appYAML("my-app", staging.Name, fromEnv("STAGING_TOKEN")))
		c.Must(t, "deploy", "--config", "production.haloy.yaml")
		c.Must(t, "deploy", "--config", "staging.haloy.yaml")
		wantDeployed(t, prod, "my-app", "prod", 1)
		wantDeployed(t, staging, "my-app", "staging", 1)
		wantNoAuthFailure(t, prod)
		wantNoAuthFailure(t, staging)
	})

	t.Run("ci_with_several_projects", func(t *testing.T) {
		t.Parallel()
		aProd, aStaging, b := startServer(t, serverOpts{}), startServer(t, serverOpts{}), startServer(t, serverOpts{})
		c := newClient(t)
		c.Env = []string{"PROJECT_A_PROD_TOKEN=" + aProd.Token(t, "a-prod"),
			"PROJECT_A_STAGING_TOKEN=" + aStaging.Token(t, "a-staging"), "PROJECT_B_TOKEN=" + b.Token(t, "b")}
		c.Write(t, "project-a/production.haloy.yaml", appYAML("project-a", aProd.Name, fromEnv("PROJECT_A_PROD_TOKEN")))
		c.Write(t, "project-a/staging.haloy.yaml", appYAML("project-a", aStaging.Name, fromEnv("PROJECT_A_STAGING_TOKEN")))
		c.Write(t, "project-b/haloy.yaml", appYAML("project-b", b.Name, fromEnv("PROJECT_B_TOKEN")))
		c.Must(t, "deploy", "-c", "project-a/production.haloy.yaml")
		c.Must(t, "deploy", "-c", "project-a/staging.haloy.yaml")
		c.Must(t, "deploy", "-c", "project-b")
		wantDeployed(t, aProd, "project-a", "a-prod", 1)
		wantDeployed(t, aStaging, "project-a", "a-staging", 1)
		wantDeployed(t, b, "project-b", "b", 1)
		for _, s := range []*server{aProd, aStaging, b} {
			wantNoAuthFailure(t, s)
		}
	})

	t.Run("several_apps_on_one_shared_server", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Env = []string{"APP3_TOKEN=" + s.Token(t, "app3")}
		c.Write(t, "app1.haloy.yaml", appYAML("app1", s.Name, ""))
		c.Write(t, "app2.haloy.yaml", appYAML("app2", s.Name, ""))
		c.Write(t, "app3.haloy.yaml", appYAML("app3", s.Name, fromEnv("APP3_TOKEN"))) // "or specify different tokens if needed"
		ids := map[string]string{}
		for _, app := range []string{"app1", "app2", "app3"} {
			r := c.Must(t, "deploy", "-c", app+".haloy.yaml")
			ids[app] = ulid.FindString(r.stdout)
		}
		wantDeployed(t, s, "app1", s.FirstName, 1)
		wantDeployed(t, s, "app2", s.FirstName, 1)
		wantDeployed(t, s, "app3", "app3", 1)
		st := c.Must(t, "status", "-c", "app1.haloy.yaml")
		wantIn(t, "haloy status -c app1.haloy.yaml", st.stdout, ids["app1"])
		wantNotIn(t, "haloy status -c app1.haloy.yaml", st.stdout, ids["app2"], ids["app3"])
	})

	t.Run("multi_target_with_different_servers_and_tokens", func(t *testing.T) {
		t.Parallel()
		prod, staging := startServer(t, serverOpts{}), startServer(t, serverOpts{})
		op := porttest.NewFakeOp(t, porttest.SecretItems{"Production/API Tokens": {"haloy-api": prod.Token(t, "prod")}})
		c := newClient(t)
		c.Path = filepath.Dir(op.Bin)
		c.Env = []string{"STAGING_API_TOKEN=" + staging.Token(t, "staging")}
		c.Write(t, "haloy.yaml", multiTarget(prod.Name, staging.Name))
		r := c.Must(t, "deploy", "--all")
		// as in Haloy, each target's app is named after its key: the guide's
		// top-level name: my-app is not inherited by targets
		for _, target := range []string{"production", "staging"} {
			if !regexp.MustCompile(`(?m)^` + target + ` +\| `).MatchString(r.stdout) {
				t.Errorf("haloy deploy --all has no line prefixed with %q:\n%s", target, r.stdout)
			}
		}
		wantDeployed(t, prod, "production", "prod", 1)
		wantDeployed(t, staging, "staging", "staging", 1)
		wantNoAuthFailure(t, prod)
		wantNoAuthFailure(t, staging)

		r = c.Must(t, "deploy", "-t", "staging")
		wantNotIn(t, "haloy deploy -t staging", r.stdout, "production")
		wantDeployed(t, staging, "staging", "staging", 2)
		wantDeployed(t, prod, "production", "prod", 1)

		st := c.Must(t, "status", "--all")
		wantIn(t, "haloy status --all", st.stdout, prod.Name, staging.Name)

		// a rejected token on one server stops every target before anything is deployed
		staging.Revoke(t, "staging")
		r = c.Run(t, "deploy", "--all")
		wantExit(t, "haloy deploy --all with staging's token revoked", r, 3)
		wantIn(t, "haloy deploy stderr", r.stderr, "authentication failed", staging.Name, "STAGING_API_TOKEN", "nothing was deployed")
		wantDeployed(t, prod, "production", "prod", 1)
	})

	t.Run("revoked_token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{Localhost: true})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("my-app", "", ""))
		c.Must(t, "deploy")
		s.Revoke(t, s.FirstName)
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy with a revoked token", r, 3)
		wantIn(t, "haloy deploy stderr", r.stderr,
			`haloy: error: authentication failed for "`+s.Name+`"`,
			"was rejected (invalid, revoked or expired)",
			"haloy: hint: on the server: sudo haloyadm api token; then: haloy server add "+s.Name+" --force --token-stdin")
		want := `reason=revoked token "` + s.FirstName + `"`
		wantIn(t, "server log", s.WaitLog(want), want)
		wantDeployed(t, s, "my-app", s.FirstName, 1)

		// the guide's fix: a new token, then server add --force
		c.Add(t, s.Name, s.Token(t, "renewed"), "--force")
		c.Must(t, "deploy")
		wantDeployed(t, s, "my-app", "renewed", 1)
	})

	t.Run("revoked_token_from_the_app_config", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Env = []string{"PROD_TOKEN=" + s.Token(t, "prod")}
		c.Write(t, "haloy.yaml", appYAML("my-app", s.Name, fromEnv("PROD_TOKEN")))
		s.Revoke(t, "prod")
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy with a revoked token", r, 3)
		wantIn(t, "haloy deploy stderr", r.stderr, "authentication failed", "PROD_TOKEN")
		wantNotIn(t, "haloy deploy stderr", r.stderr, "--force") // server add would not help: the app config wins
	})
}

// appendFile appends text to the file at path.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// multiTarget is the guide's multi-target config, on the given servers.
func multiTarget(prod, staging string) string {
	return `name: "my-app"
image:
  repository: "my-org/my-app"
  tag: "latest"

secretProviders:
  onepassword:
    prod-tokens:
      vault: "Production"
      item: "API Tokens"

targets:
  production:
    server: ` + prod + `
    api_token:
      from:
        secret: "onepassword:prod-tokens.haloy-api"
    domains:
      - domain: "my-app.com"

  staging:
    server: ` + staging + `
    api_token:
      from:
        env: "STAGING_API_TOKEN"
    domains:
      - domain: "staging.my-app.com"
`
}
