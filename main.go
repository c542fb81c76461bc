// Command haloy keeps deploy servers and their API tokens and deploys apps to
// them. Run under the name haloyadm (a link or a copy), the same binary is
// the server-side tool that issues, lists and revokes API tokens and serves
// the API that checks them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"go.uber.org/fx"
	"golang.org/x/term"

	"github.com/haloy-auth/haloy/adapters/console"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if percent, limit, ok := gcPolicy(progName(os.Args[0]), os.Getenv); ok {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A Wiring without Adapters: each command binds only the production
	// adapters its use case needs.
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, &app.Wiring{})
	stop()
	os.Exit(code)
}

// clientMemoryLimit is the heap size at which a haloy command collects
// garbage for the first time: with the collector off, the limit is what
// starts a collection (and keeps a long deploy's memory bounded).
const clientMemoryLimit = 64 << 20

// gcPolicy returns the garbage collector settings for a run of prog: for
// haloy, collector off (percent -1) with clientMemoryLimit as the guard.
// A haloy command runs for milliseconds to minutes and keeps little alive,
// so a collection is pure cost: validate-config with 100 targets spent
// about a tenth of its CPU time in the one it made (docs/performance.md).
// haloyadm keeps Go's defaults: serve runs for months. GOGC or GOMEMLIMIT
// in the environment win, as for any Go program.
func gcPolicy(prog string, getenv func(string) string) (percent int, limit int64, ok bool) {
	if prog != "haloy" || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0, 0, false
	}
	return -1, clientMemoryLimit, true
}

// progName is the grammar args[0] picks: haloyadm under that name (a link
// or a copy), else haloy.
func progName(arg0 string) string {
	if name := strings.TrimSuffix(filepath.Base(arg0), ".exe"); name == "haloyadm" {
		return name
	}
	return "haloy"
}

// clientCLI is the grammar of haloy.
type clientCLI struct {
	VersionFlag versionFlag `name:"version" help:"Print the version and exit."`
	QuietFlag
	ServerCommands
	TokenCommands
	ConfigCommands
	DeployCommands
	SecretsCommands
	CommonCommands
}

// adminCLI is the grammar of haloyadm.
type adminCLI struct {
	VersionFlag versionFlag `name:"version" help:"Print the version and exit."`
	QuietFlag
	AdminCommands
	CommonCommands
}

// QuietFlag is --quiet, in both grammars.
type QuietFlag struct {
	Quiet bool `short:"q" help:"Show no progress spinner while waiting for a server or a secret provider, and no warning about tokens that expire within 14 days (also HALOY_NO_EXPIRY_WARNING=1)."`
}

// CommonCommands are in both grammars.
type CommonCommands struct {
	Help       HelpCmd       `cmd:"" help:"Show help for a command."`
	Version    VersionCmd    `cmd:"" help:"Print the version, the Go version and the platform."`
	Completion CompletionCmd `cmd:"" help:"Print a shell completion script (bash, zsh or fish)."`
}

// runtime is what every command's Run method receives from kong.
type runtime struct {
	ctx    context.Context
	wiring *app.Wiring
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	prog   string
	bin    string // how a completion script calls this program
	notes  *console.Notifier
	// quiet is --quiet: no spinner, no expiry warnings
	quiet bool
}

// invoke runs fn with the use case UC, built by fx from the run's wiring.
func invoke[UC any](rt *runtime, fn func(context.Context, UC) error) error {
	extra := fx.Supply(fx.Annotate(rt.notes, fx.As(new(ports.Notifier))))
	return app.Invoke(rt.ctx, rt.wiring, extra, fn)
}

// exitRequest carries kong's request to exit (after --help or --version)
// out of the parser without ending the process, so that tests can call run.
type exitRequest int

// run parses args (args[0] picks the grammar: haloyadm or haloy), runs the
// command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, w *app.Wiring) (code int) {
	prog := progName(args[0])
	rt := &runtime{ctx: ctx, wiring: w, stdin: stdin, stdout: stdout, stderr: stderr, prog: prog, bin: programPath(args[0]), notes: console.New(stderr, prog)}
	var grammar any = &clientCLI{}
	desc := "Deploy apps to your Haloy servers, with one API token per server."
	if prog == "haloyadm" {
		grammar = &adminCLI{}
		desc = "Issue, list and revoke API tokens, and serve the API that checks them."
	}
	defer func() {
		if r := recover(); r != nil {
			req, ok := r.(exitRequest)
			if !ok {
				panic(r)
			}
			code = int(req)
		}
	}()
	parser, err := kong.New(grammar,
		kong.Name(prog),
		kong.Description(desc),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitRequest(c)) }),
		kong.Bind(rt),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Help(helpPrinter(prog)),
	)
	if err != nil {
		return report(stderr, prog, fmt.Errorf("build command grammar: %w", err))
	}
	if completing() {
		return completeLine(rt, parser)
	}
	kctx, err := parser.Parse(args[1:])
	if err != nil {
		return parseFailed(stdout, stderr, prog, err)
	}
	quiet := false
	switch g := grammar.(type) {
	case *clientCLI:
		quiet = g.Quiet
	case *adminCLI:
		quiet = g.Quiet
	}
	rt.quiet = quiet
	if spinner(stderr, quiet) {
		rt.notes.Spin(true)
		rt.stdout = rt.notes.Writer(stdout) // results never land in the spinner's line
	}
	return interrupted(ctx, stderr, prog, report(stderr, prog, kctx.Run()))
}

// exitInterrupted is the exit code after Ctrl-C or SIGTERM, as shells
// report a process ended by SIGINT (128+2).
const exitInterrupted = 130

// interrupted turns a failure after an interrupt into exit 130, saying so
// when the command's own error did not (an Interrupted error says what was
// left undone).
func interrupted(ctx context.Context, stderr io.Writer, prog string, code int) int {
	if code == 0 || ctx.Err() == nil {
		return code
	}
	if code != exitInterrupted {
		fmt.Fprintf(stderr, "%s: interrupted: the command stopped before it finished; what it printed above is what was done\n", prog)
	}
	return exitInterrupted
}

// parseFailed prints a parse error with a hint naming the --help of the
// command the error is about, and returns 2. A command group given without
// its subcommand (haloy, haloy server) is not an error: its help is printed
// and the exit code is 0.
func parseFailed(stdout, stderr io.Writer, prog string, err error) int {
	hint := prog
	var perr *kong.ParseError
	if errors.As(err, &perr) && perr.Context != nil {
		if missingSubcommand(perr.Context, err) {
			if herr := perr.Context.PrintUsage(false); herr != nil {
				return report(stderr, prog, herr)
			}
			return 0
		}
		if sel := perr.Context.Selected(); sel != nil {
			hint = sel.FullPath()
		}
	}
	fmt.Fprintf(stderr, "%s: error: %s\n%s: hint: run '%s --help' for usage\n", prog, err, prog, hint)
	return 2
}

// missingSubcommand reports whether the parse stopped at a command group
// (the program itself, or haloy server) with nothing after it but flags.
func missingSubcommand(kctx *kong.Context, err error) bool {
	// The trace succeeded and validation found no subcommand: kong's
	// "expected one of ..." error.
	if kctx.Error != nil || !strings.HasPrefix(err.Error(), "expected ") {
		return false
	}
	node := kctx.Model.Node
	if sel := kctx.Selected(); sel != nil {
		node = sel
	}
	if node.Type == kong.ArgumentNode || len(node.Positional) > 0 {
		return false
	}
	for _, p := range kctx.Path {
		if p.Positional != nil || p.Argument != nil {
			return false
		}
	}
	branch := false
	for _, c := range node.Children {
		if c.Type == kong.CommandNode {
			branch = true
		}
	}
	return branch
}

// report prints err once, to stderr, and returns the exit code: 0 ok, 1
// failure, 2 usage or configuration error, 3 authentication rejected, 130
// interrupted.
func report(stderr io.Writer, prog string, err error) int {
	if err == nil {
		return 0
	}
	code := 0
	for _, e := range leaves(err) {
		c := reportOne(stderr, prog, e)
		if code == 0 {
			code = c
		}
	}
	return code
}

// leaves flattens joined errors, however deeply nested (kong joins a
// command's error with its hooks' errors), into the errors to print.
func leaves(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		if e != nil {
			out = append(out, leaves(e)...)
		}
	}
	return out
}

func reportOne(stderr io.Writer, prog string, err error) int {
	var ce *core.Error
	if !errors.As(err, &ce) {
		fmt.Fprintf(stderr, "%s: error: internal error: %v\n", prog, err)
		return 1
	}
	fmt.Fprintf(stderr, "%s: error: %s\n", prog, ce.What)
	if ce.Why != "" {
		fmt.Fprintf(stderr, "%s: %s\n", prog, ce.Why)
	}
	if ce.Fix != "" {
		fmt.Fprintf(stderr, "%s: hint: %s\n", prog, ce.Fix)
	}
	return exitCode(ce.Kind)
}

// exitCode maps a failure's kind to the documented exit code (docs/commands.md).
func exitCode(k core.Kind) int {
	switch k {
	case core.Invalid, core.Missing, core.NotFound, core.Conflict, core.Unsafe:
		return 2
	case core.Unauthorized:
		return 3
	case core.Interrupted:
		return exitInterrupted
	default:
		return 1
	}
}

// spinner reports whether stderr shows a progress spinner: only on a
// terminal, and not with --quiet, NO_COLOR (https://no-color.org: no
// decoration at all) or TERM=dumb.
func spinner(stderr io.Writer, quiet bool) bool {
	f, ok := stderr.(*os.File)
	if !ok || quiet || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
