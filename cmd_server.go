package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// ServerCommands are the commands of this area, embedded in the grammar.
type ServerCommands struct {
	Server ServerCmd `cmd:"" help:"Manage the servers haloy deploys to and their API tokens."`
}

// ServerCmd groups `haloy server ...`. Other areas add their subcommands
// (version, check) as more fields.
type ServerCmd struct {
	Add    ServerAddCmd    `cmd:"" help:"Add a server and its API token, or replace its token with --force."`
	List   ServerListCmd   `cmd:"" help:"List the servers, their token variables and whether each token is available."`
	Delete ServerDeleteCmd `cmd:"" help:"Delete a server and its token."`
	// Version and Check live in cmd_server_net.go.
	Version ServerVersionCmd `cmd:"" help:"Ask a server for its version, with its token: a check of the token too."`
	Check   ServerCheckCmd   `cmd:"" help:"Check servers at once: reachable, token accepted, version."`
}

// ServerAddCmd is `haloy server add <server> [<token>]`.
type ServerAddCmd struct {
	Server     string `arg:"" help:"Server: a domain, an IP address or localhost, without https:// or a port (a port only on localhost)."`
	Token      string `arg:"" optional:"" help:"API token. Omit it to type it at a prompt, or use --token-stdin; an argument shows in shell history and ps."`
	Force      bool   `short:"f" help:"Replace the token of a server that is already configured."`
	TokenStdin bool   `name:"token-stdin" help:"Read the token from the first line of stdin."`
	CACert     string `name:"ca-cert" placeholder:"FILE" help:"PEM file of the CA that signed the server's certificate (for a private CA)."`
	Verify     bool   `help:"Check the server and the token (/health, then /v1/version) first; save nothing if either fails."`
}

// Run stores the server and its token, then says which variable holds it.
func (c *ServerAddCmd) Run(rt *runtime) error {
	tok, err := c.token(rt)
	if err != nil {
		return err
	}
	if err := c.verify(rt, tok); err != nil { // --verify, in cmd_server_net.go
		return err
	}
	return invoke(rt, func(ctx context.Context, uc *app.AddServer) error {
		r, err := uc.Run(ctx, core.AddServer{Server: c.Server, Token: tok, CACert: c.CACert, Force: c.Force})
		if err != nil {
			return err
		}
		if r.CollidedWith != "" {
			rt.notes.Info(fmt.Sprintf("%s already holds the token of %s; %s gets %s, so neither token replaces the other",
				r.HaloyTokenEnv, r.CollidedWith, r.Server, r.TokenEnv))
		}
		verb := "added"
		if r.Replaced {
			verb = "replaced the token of"
		}
		_, err = fmt.Fprintf(rt.stdout, "%s %s; its token is in %s\n", verb, r.Server, r.TokenEnv)
		return err
	})
}

// token gets the token from the argument, stdin or a prompt.
func (c *ServerAddCmd) token(rt *runtime) (string, error) {
	switch {
	case c.TokenStdin && c.Token != "":
		return "", &core.Error{Kind: core.Invalid, What: "two tokens given",
			Why: "--token-stdin reads the token from stdin, and a token argument was given too",
			Fix: "drop the token argument: printf '%s\\n' \"$TOKEN\" | haloy server add " + c.Server + " --token-stdin"}
	case c.Token != "":
		return c.Token, nil
	}
	fd, ok := terminalFd(rt.stdin)
	if c.TokenStdin && !ok {
		return readTokenLine(rt.stdin)
	}
	// --token-stdin on a terminal would echo what is typed: prompt instead.
	if !ok {
		return "", &core.Error{Kind: core.Missing, What: "no token for " + c.Server,
			Why: "no token argument, no --token-stdin, and stdin is not a terminal to prompt on",
			Fix: "printf '%s\\n' \"$TOKEN\" | haloy server add " + c.Server + " --token-stdin"}
	}
	fmt.Fprintf(rt.stderr, "API token for %s (input hidden): ", c.Server)
	return readHidden(rt.ctx, fd, rt.stderr)
}

// readHidden reads a line from the terminal fd without echo. Ctrl-C
// cancels ctx (main catches SIGINT), so it stops waiting then, restoring the
// terminal's echo itself since the blocked read cannot return.
func readHidden(ctx context.Context, fd int, stderr io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read terminal state: %w", err)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(stderr)
		if r.err != nil {
			return "", fmt.Errorf("read token from terminal: %w", r.err)
		}
		return string(r.b), nil
	case <-ctx.Done():
		term.Restore(fd, state) //nolint:errcheck // best effort on the way out
		fmt.Fprintln(stderr)
		return "", &core.Error{Kind: core.Internal, What: "interrupted; nothing was written"}
	}
}

// maxTokenLine bounds what --token-stdin reads.
const maxTokenLine = 64 << 10

// readTokenLine returns the first line of r without its line break.
func readTokenLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxTokenLine), 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read token from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", &core.Error{Kind: core.Missing, What: "no token on stdin",
			Why: "--token-stdin reads the first line of stdin, and it was empty",
			Fix: "pipe the token in: printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"}
	}
	return line, nil
}

// terminalFd returns stdin's file descriptor when it is a terminal.
func terminalFd(stdin io.Reader) (int, bool) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// ServerListCmd is `haloy server list [--json]`.
type ServerListCmd struct {
	JSON bool `help:"Print a JSON array instead of a table."`
}

// Run prints the servers sorted, never a token.
func (c *ServerListCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.ListServers) error {
		servers, err := uc.Run(ctx)
		if err != nil {
			return err
		}
		if c.JSON {
			enc := json.NewEncoder(rt.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(servers)
		}
		if len(servers) == 0 {
			_, err := fmt.Fprintln(rt.stdout, "No servers yet. Add one with: haloy server add <server> --token-stdin")
			return err
		}
		withCA := false
		for _, s := range servers {
			withCA = withCA || s.CACert != ""
		}
		// Buffered: tabwriter writes each cell on its own, a write call per
		// cell (600 for 100 servers) without it.
		out := bufio.NewWriter(rt.stdout)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		header := "SERVER\tTOKEN VARIABLE\tTOKEN"
		if withCA {
			header += "\tCA CERT"
		}
		fmt.Fprintln(tw, header)
		for _, s := range servers {
			avail := "missing"
			if s.TokenAvailable {
				avail = "yes (" + s.TokenSource + ")"
			}
			row := s.Server + "\t" + s.TokenEnv + "\t" + avail
			if withCA && s.CACert == "" {
				row += "\t-"
			} else if withCA {
				row += "\t" + s.CACert
			}
			fmt.Fprintln(tw, row)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return out.Flush()
	})
}

// ServerDeleteCmd is `haloy server delete <server>`.
type ServerDeleteCmd struct {
	Server string `arg:"" predictor:"server" help:"Server to delete, as listed by haloy server list (case and a trailing dot do not matter)."`
}

// Run removes the server and its token line.
func (c *ServerDeleteCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.DeleteServer) error {
		r, err := uc.Run(ctx, c.Server)
		if err != nil {
			return err
		}
		if r.TokenRemoved {
			_, err = fmt.Fprintf(rt.stdout, "deleted %s and its token %s\n", r.Server, r.TokenEnv)
		} else {
			_, err = fmt.Fprintf(rt.stdout, "deleted %s; %s was not removed (not in the config directory's .env, or another server uses it)\n", r.Server, r.TokenEnv)
		}
		return err
	})
}
