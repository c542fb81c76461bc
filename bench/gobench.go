package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Go benchmarks of the hot paths, next to the code they measure.
var (
	goBenchPkgs    = []string{"./core", "./adapters/sqlite", "./adapters/httpserver"}
	goBenchPattern = "^Benchmark(NormalizeServer|TokenEnv|HashAPIToken|TokenLookup|AuthMiddleware|AuthMiddlewareParallel)$"
	// lookups with 10,000 tokens may cost a little more than with 10 (one
	// more B-tree level), never in proportion to the count
	lookupTarget = 1.5
	// goBenchSmokeSkip leaves out, in the smoke run, the benchmarks that
	// seed 10,000 tokens (one committed transaction each: about 25 s of the
	// smoke run's 50 s here); their 10-token twins run the same code
	goBenchSmokeSkip = "^BenchmarkTokenLookup$/^tokens=10000$|^BenchmarkAuthMiddleware$/^version$/^sqlite$/^tokens=10000$"
)

// goBenchmarks runs the testing.B benchmarks and turns their ns/op into rows.
func (b *bench) goBenchmarks(ctx context.Context, c config) ([]row, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	// -p 1: one package at a time, so that one package's benchmarks (or its
	// seeding of 10,000 tokens) never run beside another's
	args := []string{"test", "-p", "1", "-run", "^$", "-bench", goBenchPattern, "-benchtime", c.benchDur,
		"-count", strconv.Itoa(c.benchCount), "-benchmem"}
	if c.smoke {
		args = append(args, "-skip", goBenchSmokeSkip)
	}
	args = append(args, goBenchPkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	res := parseBench(string(out))
	need := func(names ...string) error {
		for _, n := range names {
			if _, ok := res[n]; !ok {
				return fmt.Errorf("benchmark %s did not run; go test printed:\n%s", n, out)
			}
		}
		return nil
	}
	const (
		norm, lower        = "NormalizeServer/names", "NormalizeServer/baseline_lower"
		few, many, unknown = "TokenLookup/tokens=10", "TokenLookup/tokens=10000", "TokenLookup/unknown"
		health, mem        = "AuthMiddleware/health", "AuthMiddleware/version/memory"
		sqlFew, sqlMany    = "AuthMiddleware/version/sqlite/tokens=10", "AuthMiddleware/version/sqlite/tokens=10000"
		hash               = "HashAPIToken"
		parHealth, parMem  = "AuthMiddlewareParallel/health", "AuthMiddlewareParallel/version/memory"
	)
	if err := need(norm, lower, few, unknown, health, mem, sqlFew, hash, parHealth, parMem); err != nil {
		return nil, err
	}
	if c.smoke {
		if err := skipped(res, many, sqlMany); err != nil {
			return nil, err
		}
		// the smoke run's figures mean nothing; the rows show each
		// benchmark ran and parsed
		res[many], res[sqlMany] = res[few], res[sqlFew]
	} else if err := need(many, sqlMany); err != nil {
		return nil, err
	}
	ns := func(v float64) string {
		if v >= 10000 {
			return fmt.Sprintf("%.1f µs", v/1000)
		}
		return fmt.Sprintf("%.0f ns", v)
	}
	info := func(figure, a, base, baseLabel string) row {
		return row{figure: figure, ours: ns(res[a]), baseline: ns(res[base]) + " " + baseLabel,
			ratio: res[a] / res[base], target: "-", status: statusInfo}
	}
	lookup := res[many] / res[few]
	return []row{
		info("Go: core.NormalizeServer, per name (5 shapes)", norm, lower, "lower+trim"),
		{figure: "Go: core.HashAPIToken (SHA-256 of a token)", ours: ns(res[hash]), target: "-", status: statusInfo},
		{figure: "Go: token lookup by hash, SQLite, 10,000 tokens against 10", ours: ns(res[many]), baseline: ns(res[few]) + " with 10",
			ratio: lookup, target: fmt.Sprintf("<= %.1fx", lookupTarget), status: verdict(lookup <= lookupTarget)},
		info("Go: token lookup by hash, SQLite, unknown hash", unknown, few, "known, 10 tokens"),
		info("Go: auth middleware + /v1/version, memory token twin", mem, health, "/health"),
		info("Go: auth middleware + /v1/version, SQLite, 10 tokens", sqlFew, health, "/health"),
		info("Go: auth middleware + /v1/version, SQLite, 10,000 tokens", sqlMany, health, "/health"),
		info("Go: auth middleware + /v1/version, memory twin, all CPUs, one client address", parMem, parHealth, "/health"),
	}, nil
}

// skipped checks that the smoke run's -skip left out exactly the named
// benchmarks (a renamed benchmark would otherwise run its slow seeding
// again, or a pattern that skips too much would go unnoticed).
func skipped(res map[string]float64, names ...string) error {
	for _, n := range names {
		if _, ok := res[n]; ok {
			return fmt.Errorf("benchmark %s ran in the smoke run; goBenchSmokeSkip should leave it out", n)
		}
	}
	return nil
}

// benchLine matches a result line of go test -bench: name, GOMAXPROCS
// suffix, iterations, ns/op.
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// parseBench returns ns/op by benchmark name (without "Benchmark" and the
// GOMAXPROCS suffix): the least when a benchmark ran several times, since
// on a shared machine other work only ever adds time, and the fastest run
// is the one it disturbed least.
func parseBench(out string) map[string]float64 {
	all := map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			all[m[1]] = append(all[m[1]], v)
		}
	}
	res := make(map[string]float64, len(all))
	for k, vs := range all {
		res[k] = slices.Min(vs)
	}
	return res
}
