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
	Target []string `short:"t" aliases:"targets" placeholder:"NAME" predictor:"target" sep:"," xor:"target-all" help:"Target to use; repeat the flag or separate names with commas (--targets, Haloy's spelling, works too)."`
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

// printResolvedConfig prints every target's complete config, secrets
// revealed (the user asked for them with --show-resolved-config), each as a
// YAML document that is itself a valid single-target config: the values
// replace their from: references, and where each came from is a comment.
func printResolvedConfig(w io.Writer, res app.Resolution) error {
	reveal := yaml.CustomMarshaler[core.Secret](func(s core.Secret) ([]byte, error) { return yaml.Marshal(s.Reveal()) })
	for _, t := range res.Targets {
		c := t.Config
		comments := yaml.CommentMap{}
		head := "resolved from " + res.File
		if t.Target != "" {
			head = "target " + t.Target + " of " + res.File
		}
		comments["$"] = []*yaml.Comment{yaml.HeadComment(" " + head + "; secret values shown")}
		if !t.Token.IsZero() {
			c.APIToken = &core.APITokenConfig{Value: t.Token}
			comments["$.api_token.value"] = []*yaml.Comment{yaml.LineComment(" " + t.TokenSource)}
		}
		got := map[string]core.ResolvedEnvVar{}
		for _, e := range t.Env {
			got[e.Name] = e
		}
		c.Env = append([]core.EnvVar(nil), c.Env...)
		for i, e := range c.Env {
			if r, ok := got[e.Name]; ok {
				c.Env[i].Value, c.Env[i].From = r.Value, nil
				comments[fmt.Sprintf("$.env[%d].value", i)] = []*yaml.Comment{yaml.LineComment(" " + r.Source)}
			}
		}
		b, err := yaml.MarshalWithOptions(c, yaml.Indent(2), yaml.IndentSequence(true), yaml.WithComment(comments), reveal)
		if err != nil {
			return fmt.Errorf("encode resolved config: %w", err)
		}
		fmt.Fprintf(w, "---\n%s", strings.TrimLeft(string(b), "\n"))
	}
	return nil
}
