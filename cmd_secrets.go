package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
)

// SecretsCommands are the commands of this area, embedded in the grammar.
type SecretsCommands struct {
	Secrets SecretsCmd `cmd:"" help:"Check the secret sources an app config references."`
}

// SecretsCmd is `haloy secrets`.
type SecretsCmd struct {
	Check SecretsCheckCmd `cmd:"" help:"Read every secret source the app config references: which answer, which referenced keys resolve, how long each took; never a value."`
}

// SecretsCheckCmd is `haloy secrets check`.
type SecretsCheckCmd struct {
	Config string   `short:"c" placeholder:"PATH" help:"App config file or directory (default: haloy.yaml, haloy.yml or haloy.json in the current directory)."`
	Target []string `short:"t" aliases:"targets" placeholder:"NAME" predictor:"target" sep:"," help:"Check only the references of these targets (default: every target); --targets works too."`
	JSON   bool     `help:"Print the report as JSON."`
}

// Run prints the report and exits 0 when every reference resolves, 2 when
// one does not (each named on stderr), 1 when a source cannot be reached.
func (c *SecretsCheckCmd) Run(rt *runtime) error {
	return invoke(rt, func(ctx context.Context, uc *app.CheckSecrets) error {
		rep, err := uc.Run(ctx, app.CheckSecretsInput{Config: c.Config, Targets: c.Target})
		if err != nil {
			return err
		}
		out := bufio.NewWriter(rt.stdout)
		if c.JSON {
			if err := printSecretsJSON(out, rep); err != nil {
				return err
			}
		} else {
			printSecrets(out, rep)
		}
		if err := out.Flush(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return secretsVerdict(rep)
	})
}

// secretsVerdict is the command's error: a summary whose kind gives the
// exit code (1 for an unreachable source, 2 for a reference that does not
// resolve), then each problem.
func secretsVerdict(rep app.SecretsReport) error {
	var errs []error
	unresolved := rep.Unresolved()
	for _, s := range rep.Sources {
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
		errs = append(errs, s.KeyErrors()...)
	}
	errs = append(errs, rep.Problems...)
	if down := rep.Unreachable(); len(down) > 0 {
		names := make([]string, len(down))
		for i, s := range down {
			names[i] = s.Provider + ":" + s.Name
		}
		summary := &core.Error{Kind: core.Unavailable, What: fmt.Sprintf("%d secret %s cannot be read: %s", len(down), plural(len(down), "source", "sources"), strings.Join(names, ", "))}
		return errors.Join(append([]error{summary}, errs...)...)
	}
	if len(unresolved) > 0 || len(rep.Problems) > 0 {
		n := len(unresolved) + len(rep.Problems)
		what := fmt.Sprintf("%d secret %s in %s %s not resolve", n, plural(n, "reference", "references"), rep.File, plural(n, "does", "do"))
		if len(unresolved) > 0 {
			what += ": " + strings.Join(unresolved, ", ")
		}
		return errors.Join(append([]error{&core.Error{Kind: core.Invalid, What: what}}, errs...)...)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printSecrets prints one block per source: its reference prefix, what it
// points at, its status and time, then each referenced key.
func printSecrets(w io.Writer, rep app.SecretsReport) {
	if len(rep.Sources) == 0 && len(rep.Problems) == 0 {
		fmt.Fprintf(w, "%s references no secret sources\n", rep.File)
		return
	}
	for _, s := range rep.Sources {
		head := s.Provider + ":" + s.Name
		if s.Label != "" {
			head += "  " + s.Label
		}
		switch s.Status {
		case app.SourceOK:
			fmt.Fprintf(w, "%s  ok (%s)\n", head, ms(s.Duration))
		case app.SourceMisconfigured:
			fmt.Fprintf(w, "%s  misconfigured\n", head)
		default:
			fmt.Fprintf(w, "%s  %s (%s)\n", head, strings.ReplaceAll(string(s.Status), "_", " "), ms(s.Duration))
		}
		for _, k := range s.Keys {
			state := "missing "
			switch {
			case s.Status != app.SourceOK && s.Status != app.SourceNotFound:
				state = "unknown "
			case k.Resolves:
				state = "resolves"
			}
			fmt.Fprintf(w, "  %s  %s (%s)\n", state, k.Key, strings.Join(k.Where, ", "))
		}
	}
}

// ms rounds a duration for people: 182ms, 1.4s.
func ms(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// secretsJSON is the --json report. It never holds a value.
type secretsJSON struct {
	File     string        `json:"file"`
	OK       bool          `json:"ok"`
	Sources  []sourceJSON  `json:"sources"`
	Problems []problemJSON `json:"problems"`
}

type sourceJSON struct {
	Reference string       `json:"reference"`
	Provider  string       `json:"provider"`
	Source    string       `json:"source"`
	Label     string       `json:"label,omitempty"`
	Status    string       `json:"status"`
	Reachable bool         `json:"reachable"`
	Millis    int64        `json:"duration_ms"`
	Keys      []keyJSON    `json:"keys"`
	Error     *problemJSON `json:"error,omitempty"`
}

type keyJSON struct {
	Key      string   `json:"key"`
	Resolves bool     `json:"resolves"`
	Where    []string `json:"where"`
}

type problemJSON struct {
	What string `json:"what"`
	Why  string `json:"why,omitempty"`
	Fix  string `json:"fix,omitempty"`
}

func problem(err error) *problemJSON {
	var ce *core.Error
	if errors.As(err, &ce) {
		return &problemJSON{What: ce.What, Why: ce.Why, Fix: ce.Fix}
	}
	return &problemJSON{What: err.Error()}
}

func printSecretsJSON(w io.Writer, rep app.SecretsReport) error {
	out := secretsJSON{File: rep.File, OK: secretsVerdict(rep) == nil, Sources: []sourceJSON{}, Problems: []problemJSON{}}
	for _, s := range rep.Sources {
		sj := sourceJSON{Reference: s.Provider + ":" + s.Name, Provider: s.Provider, Source: s.Name, Label: s.Label,
			Status: string(s.Status), Reachable: s.Status == app.SourceOK || s.Status == app.SourceNotFound,
			Millis: s.Duration.Milliseconds(), Keys: []keyJSON{}}
		for _, k := range s.Keys {
			sj.Keys = append(sj.Keys, keyJSON{Key: k.Key, Resolves: k.Resolves, Where: k.Where})
		}
		if s.Err != nil {
			sj.Error = problem(s.Err)
		}
		out.Sources = append(out.Sources, sj)
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, *problem(p))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
