// Command bench measures what authentication costs haloy and haloyadm, each
// figure next to a baseline measured in the same run on the same machine
// (a Go hello-world, the server's own unauthenticated route, a bare net/http
// handler, one deploy target), because machines are noisy and only ratios
// travel. It builds everything it runs into a temporary directory, talks
// over loopback only, and prints one table; `task bench` also writes the
// table to docs/performance.md with the machine it ran on.
//
//	go run ./bench                 # full run, writes docs/performance.md
//	go run ./bench -smoke -out ''  # everything once, briefly (CI)
//
// A figure that misses its target is shown as FAIL but does not change the
// exit code: benchmarks are not timed tests. The exit code is 1 only when
// something could not be measured (a build, a command or a request failed).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what the flags choose.
type config struct {
	smoke      bool
	runs       int           // process runs per figure (median)
	rounds     int           // load rounds per throughput figure (median)
	loadTime   time.Duration // one load round
	conns      int           // concurrent connections of the load generator
	out        string        // markdown file to write; "" for none
	benchDur   string        // -benchtime of the Go benchmarks
	benchCount int           // -count of the Go benchmarks (the fastest counts)
	only       string        // comma-separated step names; "" for all
}

func main() {
	var c config
	flag.BoolVar(&c.smoke, "smoke", false, "Run everything once, briefly: checks that the benchmarks work, measures nothing worth keeping.")
	flag.IntVar(&c.runs, "runs", 21, "Runs of each command for the start-up and fan-out medians (at least 20 for a real measurement).")
	flag.IntVar(&c.rounds, "rounds", 11, "Load rounds per throughput figure (median).")
	flag.DurationVar(&c.loadTime, "load-time", time.Second, "Length of one load round.")
	flag.IntVar(&c.conns, "conns", 16, "Concurrent connections of the load generator.")
	flag.StringVar(&c.out, "out", "docs/performance.md", "Markdown file to write the table to; empty for none.")
	flag.StringVar(&c.benchDur, "benchtime", "300ms", "The -benchtime of the Go benchmarks.")
	flag.IntVar(&c.benchCount, "count", 5, "Runs of each Go benchmark (the fastest counts).")
	flag.StringVar(&c.only, "only", "", "Run only these steps, comma-separated: startup, throughput, streams, fanout, op, go.")
	flag.Parse()
	if c.smoke {
		c.runs, c.rounds, c.loadTime, c.benchDur, c.benchCount = 1, 1, 100*time.Millisecond, "1x", 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, c, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run measures every figure, prints the table to stdout and writes it to
// c.out. Progress goes to stderr.
func run(ctx context.Context, c config, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	b, err := newBench(ctx, logf)
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	defer b.close()

	var rows []row
	failed := false
	steps := []struct {
		key, name string
		fn        func(context.Context, config) ([]row, error)
	}{
		{"startup", "CLI start-up", b.startup},
		{"throughput", "server throughput", b.throughput},
		{"streams", "deploy-log streams", b.streams},
		{"fanout", "deploy fan-out", b.fanout},
		{"op", "secret provider calls", b.opCalls},
		{"go", "Go benchmarks", b.goBenchmarks},
	}
	for _, s := range steps {
		if c.only != "" && !slices.Contains(strings.Split(c.only, ","), s.key) {
			continue
		}
		logf("%s ...", s.name)
		start := time.Now()
		r, err := s.fn(ctx, c)
		if err == nil {
			err = b.serverLeaks()
		}
		if err != nil {
			logf("error: %s: %v", s.name, err)
			failed = true
			rows = append(rows, row{figure: s.name, ours: "error", target: "-", status: statusError})
			continue
		}
		logf("%s done in %v", s.name, time.Since(start).Round(time.Millisecond))
		rows = append(rows, r...)
	}
	m := thisMachine(ctx)
	printTable(stdout, rows)
	if c.out != "" {
		if err := writeReport(c.out, m, c, rows); err != nil {
			logf("error: %v", err)
			return 1
		}
		logf("wrote %s", c.out)
	}
	if failed {
		return 1
	}
	return 0
}
