package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/haloy-auth/haloy/adapters/console"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// CompletionCmd is `haloy completion bash|zsh|fish`.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell to print the script for: bash, zsh or fish."`
}

// Run prints the script. Each shell then runs the program itself with
// COMP_LINE set to the line being completed (see complete), so the
// completions always match the binary's grammar and the current files.
func (c *CompletionCmd) Run(rt *runtime) error {
	bin := shellQuote(rt.bin)
	fn := "_" + rt.prog + "_complete"
	var script string
	switch c.Shell {
	case "bash":
		// The program prints one completion a line for COMP_LINE; with
		// nothing to offer, bash completes file names (-o default).
		script = "# " + rt.prog + " completion for bash: source <(" + rt.prog + " completion bash)\n" +
			fn + "() {\n" +
			"    COMPREPLY=()\n" +
			"    [[ -n $COMP_LINE ]] || return 0 # not run by bash's completion\n" +
			"    local IFS=$'\\n'\n" +
			"    COMPREPLY=($(COMP_LINE=\"$COMP_LINE\" COMP_POINT=\"$COMP_POINT\" " + bin + " 2>/dev/null))\n" +
			"}\n" +
			"complete -o default -F " + fn + " " + rt.prog + "\n"
	case "zsh":
		script = "#compdef " + rt.prog + "\n" +
			"# " + rt.prog + " completion for zsh: source <(" + rt.prog + " completion zsh)\n" +
			fn + "() {\n" +
			"    local line=\"${(j: :)words[1,CURRENT]}\"\n" +
			"    local -a opts\n" +
			"    opts=(${(f)\"$(COMP_LINE=\"$line\" COMP_POINT=${#line} " + bin + " 2>/dev/null)\"})\n" +
			"    if (( ${#opts} )); then\n" +
			"        compadd -- \"${opts[@]}\"\n" +
			"    else\n" +
			"        _files\n" +
			"    fi\n" +
			"}\n" +
			"(( $+functions[compdef] )) || { autoload -U compinit && compinit }\n" +
			"compdef " + fn + " " + rt.prog + "\n"
	case "fish":
		script = "# " + rt.prog + " completion for fish: " + rt.prog + " completion fish > ~/.config/fish/completions/" + rt.prog + ".fish\n" +
			"function " + fn + "\n" +
			"    set -lx COMP_LINE (commandline -cp)\n" +
			"    set -lx COMP_POINT (string length -- $COMP_LINE)\n" +
			"    " + bin + " 2>/dev/null\n" +
			"end\n" +
			"complete -c " + rt.prog + " -f -a '(" + fn + ")'\n"
	}
	_, err := io.WriteString(rt.stdout, script)
	return err
}

// shellQuote quotes s for bash, zsh and fish alike.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// programPath is how the completion script calls this program: by name when
// it was found on PATH, else by its absolute path. It is not the resolved
// executable, so that a haloyadm link keeps its name (and its grammar).
func programPath(arg0 string) string {
	if !strings.ContainsRune(arg0, filepath.Separator) {
		return arg0
	}
	if abs, err := filepath.Abs(arg0); err == nil {
		return abs
	}
	return arg0
}

// completing reports whether a shell runs the program to complete a line:
// a completion script sets COMP_LINE (and COMP_POINT) to the line.
func completing() bool { return os.Getenv("COMP_LINE") != "" }

// completeLine prints the words that complete COMP_LINE, one per line, and returns
// 0. It parses nothing and builds a use case's graph only for the dynamic
// lookups (server names, target names, token names); a lookup that fails
// completes nothing rather than print an error into the user's prompt.
func completeLine(rt *runtime, parser *kong.Kong) int {
	quiet := *rt
	quiet.notes = console.New(io.Discard, rt.prog)
	quiet.stderr = io.Discard
	cmd, err := kongplete.Command(parser, kongplete.WithPredictors(map[string]complete.Predictor{
		"server": complete.PredictFunc(func(complete.Args) []string { return serverNames(&quiet) }),
		"target": complete.PredictFunc(func(a complete.Args) []string { return targetNames(&quiet, configFlag(a.All)) }),
		"token":  complete.PredictFunc(func(complete.Args) []string { return tokenNames(&quiet) }),
	}))
	if err != nil {
		return report(rt.stderr, rt.prog, fmt.Errorf("build completion grammar: %w", err))
	}
	// --version is accepted before any command only (versionFlag): offer
	// it there, not after every command as kong's inherited flags are
	if p, ok := cmd.GlobalFlags["--version"]; ok {
		delete(cmd.GlobalFlags, "--version")
		cmd.Flags = complete.Flags{"--version": p}
	}
	c := complete.New(rt.prog, cmd)
	c.Out = rt.stdout
	c.Complete()
	return 0
}

// configFlag returns the value of -c/--config among the words typed so far.
func configFlag(words []string) string {
	for i, w := range words {
		switch {
		case (w == "-c" || w == "--config") && i+1 < len(words):
			return words[i+1]
		case strings.HasPrefix(w, "--config="):
			return strings.TrimPrefix(w, "--config=")
		case strings.HasPrefix(w, "-c") && len(w) > 2:
			return w[2:]
		}
	}
	return ""
}

func serverNames(rt *runtime) (names []string) {
	invoke(rt, func(ctx context.Context, uc *app.ListServers) error { //nolint:errcheck // nothing to complete on failure
		servers, err := uc.Run(ctx)
		for _, s := range servers {
			names = append(names, s.Server)
		}
		return err
	})
	return names
}

func targetNames(rt *runtime, config string) (names []string) {
	invoke(rt, func(ctx context.Context, uc *app.ListTargets) error { //nolint:errcheck // nothing to complete on failure
		var err error
		names, err = uc.Run(ctx, config)
		return err
	})
	return names
}

// tokenNames are the names of the tokens that can still be revoked.
func tokenNames(rt *runtime) (names []string) {
	invoke(rt, func(ctx context.Context, uc *app.ListTokens) error { //nolint:errcheck // nothing to complete on failure
		list, err := uc.Run(ctx)
		for _, t := range list {
			if t.Status != core.TokenRevoked {
				names = append(names, t.Name)
			}
		}
		return err
	})
	return names
}
