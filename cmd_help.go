package main

import (
	"encoding/json"
	"fmt"
	"io"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/haloy-auth/haloy/core"
)

// HelpCmd is `haloy help [<command>...]`: the same text as `<command> --help`.
type HelpCmd struct {
	Command []string `arg:"" optional:"" help:"Command to show help for, e.g. server add."`
}

// Run parses the command with --help, which prints its help and exits 0;
// an unknown command is a usage error like any other.
func (c *HelpCmd) Run(kctx *kong.Context) error {
	_, err := kctx.Kong.Parse(append(append([]string{}, c.Command...), "--help"))
	if err != nil {
		name := kctx.Model.Name
		return &core.Error{Kind: core.Invalid, What: "no help for " + strconv.Quote(strings.Join(c.Command, " ")) + ": " + err.Error(),
			Fix: "run '" + name + " help' for the list of commands"}
	}
	return nil
}

// VersionCmd is `haloy version [--json]`.
type VersionCmd struct {
	JSON bool `help:"Print a JSON object: version, go, platform."`
}

// versionInfo is what `version --json` prints: the shape scripts rely on.
type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Run prints the program's version, the Go version it was built with and
// the platform it runs on.
func (c *VersionCmd) Run(rt *runtime) error {
	v := versionInfo{Version: version, Go: goruntime.Version(), Platform: goruntime.GOOS + "/" + goruntime.GOARCH}
	if c.JSON {
		return json.NewEncoder(rt.stdout).Encode(v)
	}
	_, err := fmt.Fprintf(rt.stdout, "%s %s (%s, %s)\n", rt.prog, v.Version, v.Go, v.Platform)
	return err
}

// versionFlag is --version: accepted before any command only, so that
// `haloy server version --version` is not silently the client's version.
type versionFlag bool

// BeforeReset prints the version and exits 0, or refuses the flag after a
// command.
func (v versionFlag) BeforeReset(app *kong.Kong, kctx *kong.Context) error {
	if sel := kctx.Selected(); sel != nil {
		return fmt.Errorf("--version is a flag of %s alone, not of %q; run '%s version' for the version", app.Model.Name, sel.FullPath(), app.Model.Name)
	}
	fmt.Fprintln(app.Stdout, app.Model.Name+" "+version)
	app.Exit(0)
	return nil
}

// helpPrinter prints kong's help, then the command's examples and the
// footer: where files live, the variables that matter, exit codes.
func helpPrinter(prog string) kong.HelpPrinter {
	return func(opts kong.HelpOptions, kctx *kong.Context) error {
		// --version is inherited by every command, but is accepted only
		// before any (versionFlag): list it in the program's help alone.
		for _, f := range kctx.Model.Flags {
			if f.Name == "version" {
				f.Hidden = kctx.Selected() != nil
			}
		}
		if err := kong.DefaultHelpPrinter(opts, kctx); err != nil {
			return err
		}
		path := prog
		if sel := kctx.Selected(); sel != nil {
			path = sel.FullPath()
		}
		var b strings.Builder
		if ex := examples[path]; ex != "" {
			b.WriteString("\nExamples:\n")
			for _, line := range strings.Split(strings.TrimSpace(ex), "\n") {
				b.WriteString("  " + line + "\n")
			}
		}
		b.WriteString(footer(prog))
		_, err := io.WriteString(kctx.Stdout, b.String())
		return err
	}
}

// footer is the end of every help text.
func footer(prog string) string {
	if prog == "haloyadm" {
		return `
Files and environment:
  HALOY_CONFIG_DIR  config directory (haloyadm.yaml); default ` + core.DefaultServerConfigDir + `
  HALOY_DATA_DIR    data directory (the token database); default ` + core.DefaultServerDataDir + `
  Defaults: serve listens on 127.0.0.1:9922; a token expires after 90d.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 authentication
rejected, 130 interrupted.
`
	}
	return `
Files and environment:
  HALOY_CONFIG_DIR  config directory (client.yaml, .env; .env.local is read too);
                    default ~/.config/haloy (or $XDG_CONFIG_HOME/haloy where
                    only that one exists)
  HALOY_API_TOKEN   token for a server whose own variable (client.yaml) is unset
  HALOY_DATA_DIR    used by haloyadm on the server, not by haloy
  Defaults: the app config is the first of haloy.json, haloy.yaml, haloy.yml
  and haloy.toml in the current directory.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 authentication
rejected, 130 interrupted.
`
}

// examples are one or two lines per command, by the command's full path.
var examples = map[string]string{
	"haloy": `
haloy server add haloy.example.com --token-stdin
haloy deploy -t production`,
	"haloy server": `
haloy server list
haloy server check`,
	"haloy server add": `
printf '%s\n' "$TOKEN" | haloy server add haloy.example.com --token-stdin
haloy server add localhost:9922 --verify`,
	"haloy server list": `
haloy server list
haloy server list --json | jq -r '.[].server'`,
	"haloy server delete": `
haloy server delete haloy.example.com
haloy server delete haloy.example.com --revoke`,
	"haloy server version": `
haloy server version --server haloy.example.com`,
	"haloy server rotate": `
haloy server rotate haloy.example.com
haloy server rotate --all`,
	"haloy token": `
haloy token list --server haloy.example.com`,
	"haloy token create": `
haloy token create --server haloy.example.com --name ci-my-app --scope deploy --app my-app
TOKEN=$(haloy token create -s haloy.example.com --name dashboard --scope read)`,
	"haloy token list": `
haloy token list --server haloy.example.com
haloy token list -s haloy.example.com --json`,
	"haloy token revoke": `
haloy token revoke --server haloy.example.com ci-old`,
	"haloy server check": `
haloy server check
haloy server check haloy.example.com --json`,
	"haloy validate-config": `
haloy validate-config
haloy validate-config -c deploy/haloy.yaml -t production`,
	"haloy secrets": `
haloy secrets check`,
	"haloy secrets check": `
haloy secrets check
haloy secrets check -t production --json | jq '.sources[] | select(.status != "ok")'`,
	"haloy deploy": `
haloy deploy
haloy deploy -t staging,production`,
	"haloy status": `
haloy status
haloy status -t production`,
	"haloy help": `
haloy help server add`,
	"haloy version": `
haloy version --json`,
	"haloy completion": `
source <(haloy completion bash)
haloy completion fish > ~/.config/fish/completions/haloy.fish`,
	"haloyadm": `
haloyadm init --api-domain api.example.com
haloyadm api token --name ci-production`,
	"haloyadm init": `
haloyadm init --api-domain api.example.com`,
	"haloyadm api": `
haloyadm api token list`,
	"haloyadm api token": `
haloyadm api token --name ci-production --expires 30d
haloyadm api token list --json`,
	"haloyadm api token create": `
haloyadm api token create --name ci-production --expires 30d
haloyadm api token create --name ci-my-app --scope deploy --app my-app`,
	"haloyadm api token list": `
haloyadm api token list
haloyadm api token list --json`,
	"haloyadm api token revoke": `
haloyadm api token revoke ci-production
haloyadm api token revoke 3`,
	"haloyadm api token prune": `
haloyadm api token prune --dry-run
haloyadm api token prune --older-than 90d`,
	"haloyadm trust": `
haloyadm trust add github --repository acme/web --ref refs/heads/main --app web
haloyadm trust list`,
	"haloyadm trust add": `
haloyadm trust add github --repository acme/web --environment production --app web
haloyadm trust add gitlab --issuer https://gitlab.example.com --project acme/web --app web`,
	"haloyadm trust add github": `
haloyadm trust add github --repository acme/web --ref refs/heads/main --workflow .github/workflows/deploy.yml --app web
haloyadm trust add github --repository acme/web --environment production --app web,api --ttl 10m`,
	"haloyadm trust add gitlab": `
haloyadm trust add gitlab --project acme/web --ref refs/heads/main --app web
haloyadm trust add gitlab --issuer https://gitlab.example.com --project acme/team/web --app web`,
	"haloyadm trust add oidc": `
haloyadm trust add oidc --issuer https://ci.example.com --claim sub=deploy:web --app web`,
	"haloyadm trust list": `
haloyadm trust list
haloyadm trust list --json`,
	"haloyadm trust remove": `
haloyadm trust remove 3`,
	"haloyadm serve": `
haloyadm serve
haloyadm serve --listen 0.0.0.0:9922 --tls-cert cert.pem --tls-key key.pem`,
	"haloyadm help": `
haloyadm help api token`,
	"haloyadm version": `
haloyadm version --json`,
	"haloyadm completion": `
source <(haloyadm completion bash)`,
}
