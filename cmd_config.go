package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// ConfigCommands are the commands of this area, embedded in the grammar.
type ConfigCommands struct {
	ValidateConfig ValidateConfigCmd `cmd:"" name:"validate-config" help:"Check the app config, server choice and token resolution, without any network call."`
}

// ConfigFlags choose an app config and its targets. Commands that act on
// an app (validate-config, deploy, status) embed it.
type ConfigFlags struct {
	Config string   `short:"c" placeholder:"PATH" help:"App config file or directory (default: the first of haloy.json, haloy.yaml, haloy.yml, haloy.toml in the current directory)."`
	Target []string `short:"t" placeholder:"NAME" predictor:"target" sep:"," xor:"target-all" help:"Target to use; repeat the flag or separate names with commas."`
	All    bool     `short:"a" xor:"target-all" help:"Use every target."`
}

// Input returns the flags as the input of the Resolve use case.
func (f ConfigFlags) Input(requireSingle bool) app.ResolveInput {
	return app.ResolveInput{Config: f.Config, Targets: f.Target, All: f.All, RequireSingle: requireSingle}
}

// ValidateConfigCmd is `haloy validate-config`.
type ValidateConfigCmd struct {
	ConfigFlags
	ShowResolvedConfig bool `help:"Also print each target's merged config with its secret values (after a warning)."`
}

// Run prints, per target, the app, the server and why, and where the token
// comes from; every problem goes to stderr and the exit code is 2.
func (c *ValidateConfigCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.ValidateConfig) error {
		res, err := uc.Run(ctx, app.ValidateInput{Config: c.Config, Targets: c.Target, All: c.All})
		if res.File == "" {
			return err
		}
		// Buffered: one write call instead of one per line (300 for 100
		// targets).
		out := bufio.NewWriter(rt.stdout)
		defer out.Flush() //nolint:errcheck // write errors are not reported, as before
		printResolution(out, res)
		if c.ShowResolvedConfig {
			out.Flush() //nolint:errcheck // the warning comes after what is printed so far
			rt.notes.Warn("--show-resolved-config prints secret values: keep this output out of logs, tickets and chat")
			if perr := printResolvedConfig(out, res); perr != nil {
				return perr
			}
		}
		if err == nil {
			fmt.Fprintf(out, "%s is valid\n", res.File)
		}
		return err
	})
}

// printResolution prints one block per target; never a secret value.
func printResolution(w io.Writer, res app.Resolution) {
	for _, t := range res.Targets {
		head := "app " + orDash(t.App)
		if t.Target != "" {
			head = "target " + t.Target + " (app " + orDash(t.App) + ")"
		}
		fmt.Fprintf(w, "%s\n", head)
		if t.Server != "" {
			fmt.Fprintf(w, "  server  %s (%s)\n", t.Server, t.ServerWhy)
		}
		if t.TokenSource != "" {
			fmt.Fprintf(w, "  token   %s\n", t.TokenSource)
		}
		for _, e := range t.Env {
			fmt.Fprintf(w, "  env     %s: %s\n", e.Name, e.Source)
		}
		switch n := len(t.Errs); n {
		case 0:
		case 1:
			fmt.Fprintf(w, "  1 problem (below)\n")
		default:
			fmt.Fprintf(w, "  %d problems (below)\n", n)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shownTarget is a target's merged config with its values resolved, as
// --show-resolved-config prints it.
type shownTarget struct {
	Target   string      `yaml:"target,omitempty"`
	Name     string      `yaml:"name,omitempty"`
	Server   string      `yaml:"server,omitempty"`
	APIToken *shownValue `yaml:"api_token,omitempty"`
	Image    *core.Image `yaml:"image,omitempty"`
	Domains  []shownDom  `yaml:"domains,omitempty"`
	Env      []shownEnv  `yaml:"env,omitempty"`
}

type shownValue struct {
	Value  string `yaml:"value"`
	Source string `yaml:"source"`
}

type shownDom struct {
	Domain  string   `yaml:"domain"`
	Aliases []string `yaml:"aliases,omitempty"`
}

type shownEnv struct {
	Name   string `yaml:"name"`
	Value  string `yaml:"value"`
	Source string `yaml:"source"`
}

// printResolvedConfig prints every target's merged config, secrets revealed:
// the user asked for them with --show-resolved-config.
func printResolvedConfig(w io.Writer, res app.Resolution) error {
	for _, t := range res.Targets {
		s := shownTarget{Target: t.Target, Name: t.App, Server: t.Server, Image: t.Config.Image}
		if !t.Token.IsZero() {
			s.APIToken = &shownValue{Value: t.Token.Reveal(), Source: t.TokenSource}
		}
		for _, d := range t.Config.Domains {
			s.Domains = append(s.Domains, shownDom{Domain: d.Domain, Aliases: d.Aliases})
		}
		for _, e := range t.Env {
			s.Env = append(s.Env, shownEnv{Name: e.Name, Value: e.Value.Reveal(), Source: e.Source})
		}
		b, err := yaml.MarshalWithOptions(s, yaml.Indent(2), yaml.IndentSequence(true))
		if err != nil {
			return fmt.Errorf("encode resolved config: %w", err)
		}
		fmt.Fprintf(w, "---\n%s", strings.TrimLeft(string(b), "\n"))
	}
	return nil
}
