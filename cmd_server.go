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
	// Rotate lives in cmd_token.go.
	Rotate ServerRotateCmd `cmd:"" help:"Replace each server's stored token with a new one from the server, then revoke the old one."`
}

// ServerAddCmd is `haloy server add <server> [<token>]`.
type ServerAddCmd struct {
	Server     string  `arg:"" help:"Server: a domain, an IP address or localhost, without https:// or a port (a port only on localhost)."`
	Token      *string `arg:"" optional:"" help:"API token. Omit it to type it at a prompt, or use --token-stdin; an argument shows in shell history and ps."`
	Force      bool    `short:"f" help:"Replace the token of a server that is already configured."`
	TokenStdin bool    `name:"token-stdin" help:"Read the token from the first line of stdin."`
	CACert     string  `name:"ca-cert" placeholder:"FILE" help:"PEM file of the CA that signed the server's certificate (for a private CA)."`
	Verify     bool    `help:"Check the server and the token (/health, then /v1/version) first; save nothing if either fails."`
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
		if r.ShadowedBy != "" {
			fix := "unset it"
			if r.ShadowedBy != "the environment" {
				fix = "remove its line from .env.local"
			}
			rt.notes.Warn(fmt.Sprintf("%s is also set in %s, which wins over .env: deploys to %s use that value, not the token just stored; %s to use this one",
				r.TokenEnv, r.ShadowedBy, r.Server, fix))
		}
		_, err = fmt.Fprintf(rt.stdout, "%s %s; its token is in %s\n", verb, r.Server, r.TokenEnv)
		return err
	})
}

// token gets the token from the argument, stdin or a prompt.
func (c *ServerAddCmd) token(rt *runtime) (string, error) {
	switch {
	case c.TokenStdin && c.Token != nil:
		return "", &core.Error{Kind: core.Invalid, What: "two tokens given",
			Why: "--token-stdin reads the token from stdin, and a token argument was given too",
			Fix: "drop the token argument: printf '%s\\n' \"$TOKEN\" | haloy server add " + c.Server + " --token-stdin"}
	case c.Token != nil && *c.Token == "":
		// "$TOKEN" with TOKEN unset: an argument was given, and it is empty
		return "", &core.Error{Kind: core.Invalid, What: "the token argument is empty",
			Why: "a variable that is not set expands to nothing: \"$TOKEN\" with TOKEN unset gives an empty argument",
			Fix: "set the variable first (echo ${#TOKEN} prints its length), then: printf '%s\\n' \"$TOKEN\" | haloy server add " + c.Server + " --token-stdin"}
	case c.Token != nil:
		return *c.Token, nil
	}
	tty, ok := terminal(rt.stdin)
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
	return readHidden(rt.ctx, tty, rt.stderr)
}

// readHidden reads a line from the terminal fd without echo. The terminal
// is in raw mode while it reads, so that Ctrl-C and Ctrl-D arrive as bytes
// and end the prompt (golang.org/x/term's ReadPassword loops forever on
// Ctrl-D). A SIGTERM cancels ctx (main catches it): the prompt stops
// waiting then, restoring the terminal itself since the blocked read cannot
// return.
func readHidden(ctx context.Context, tty *os.File, stderr io.Writer) (string, error) {
	fd := int(tty.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("set terminal mode: %w", err)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := readHiddenLine(tty)
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		r.err = errPromptInterrupted
	}
	term.Restore(fd, state) //nolint:errcheck // best effort on the way out
	fmt.Fprintln(stderr)
	switch {
	case errors.Is(r.err, errPromptInterrupted):
		return "", &core.Error{Kind: core.Interrupted, What: "interrupted; nothing was written"}
	case errors.Is(r.err, io.EOF):
		return "", &core.Error{Kind: core.Missing, What: "no token typed; nothing was written",
			Why: "the prompt got end of input (Ctrl-D) before a line",
			Fix: "run the command again and paste the token, or pipe it: printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"}
	case r.err != nil:
		return "", fmt.Errorf("read token from terminal: %w", r.err)
	}
	return string(r.b), nil
}

// errPromptInterrupted is Ctrl-C at the prompt.
var errPromptInterrupted = errors.New("interrupted")

// readHiddenLine reads one line typed on a terminal in raw mode: Enter ends
// it, Backspace removes a byte, Ctrl-U clears the line, Ctrl-C is
// errPromptInterrupted, Ctrl-D on an empty line is io.EOF (on a line, it
// ends the line as Enter does).
func readHiddenLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 0 {
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		switch c := b[0]; c {
		case '\r', '\n':
			return line, nil
		case 3: // Ctrl-C
			return nil, errPromptInterrupted
		case 4: // Ctrl-D
			if len(line) == 0 {
				return nil, io.EOF
			}
			return line, nil
		case 127, '\b':
			if len(line) > 0 {
				line = line[:len(line)-1]
			}
		case 21: // Ctrl-U
			line = line[:0]
		default:
			if len(line) >= maxTokenLine {
				return line, nil // ValidateToken says it is too long
			}
			line = append(line, c)
		}
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

// terminal returns stdin as a file when it is a terminal.
func terminal(stdin io.Reader) (*os.File, bool) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
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
		if err := out.Flush(); err != nil {
			return err
		}
		for _, s := range servers {
			if !s.TokenAvailable {
				rt.notes.Info(fmt.Sprintf("hint: %s has no token: export %s=<token>, or haloy server add %s --force --token-stdin",
					s.Server, s.TokenEnv, s.Server))
			}
		}
		return nil
	})
}

// ServerDeleteCmd is `haloy server delete <server> [--revoke]`.
type ServerDeleteCmd struct {
	Server string `arg:"" predictor:"server" help:"Server to delete, as listed by haloy server list (case and a trailing dot do not matter)."`
	Revoke bool   `help:"Revoke the stored token on the server first; nothing is deleted if that fails."`
}

// Run removes the server and its token line, after revoking the token on
// the server with --revoke.
func (c *ServerDeleteCmd) Run(rt *runtime) error {
	if c.Revoke {
		err := invoke(rt, func(ctx context.Context, uc *app.RevokeStored) error {
			r, err := uc.Run(ctx, c.Server)
			if err != nil {
				return err
			}
			rt.notes.Info(fmt.Sprintf("revoked token %q on %s", r.Info.Name, c.Server))
			return nil
		})
		if err != nil {
			return err
		}
	}
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
