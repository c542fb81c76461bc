package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CLI start-up targets (issue 7): Haloy's own client needs 6.75x a
// hello-world's CPU time for the same listing.
const (
	startupCPUTarget = 3.0
	startupRSSTarget = 30 << 20
	startupServers   = 100
	// the smoke run only checks that the step works: each server is one
	// `haloy server add`, 4 s of its time for 100
	startupSmokeServers = 10
)

// startup measures `haloy server list` and `haloy validate-config` on a
// config directory with 100 servers (and an app config with one target on
// each), against a Go hello-world, interleaving the runs so that each
// command sees the same noise.
func (b *bench) startup(ctx context.Context, c config) ([]row, error) {
	servers := startupServers
	if c.smoke {
		servers = startupSmokeServers
	}
	cfg, err := b.mkdir("startup", "config")
	if err != nil {
		return nil, err
	}
	work, err := b.mkdir("startup", "app")
	if err != nil {
		return nil, err
	}
	env := b.childEnv("HALOY_CONFIG_DIR=" + cfg)
	var yaml strings.Builder
	yaml.WriteString("name: bench-app\nimage:\n  repository: ghcr.io/example/bench-app\n  tag: latest\ntargets:\n")
	for i := range servers {
		server := fmt.Sprintf("server-%03d.example.com", i)
		if _, err := b.measure(ctx, env, work, b.secret()+"\n", b.haloy, "server", "add", server, "--token-stdin"); err != nil {
			return nil, err
		}
		fmt.Fprintf(&yaml, "  t%03d:\n    server: %s\n", i, server)
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		return nil, fmt.Errorf("write app config: %w", err)
	}

	cmds := []struct {
		label string
		args  []string
	}{
		{"hello-world", []string{b.hello}},
		{"haloy --version", []string{b.haloy, "--version"}},
		{"haloy server list", []string{b.haloy, "server", "list"}},
		{"haloy validate-config", []string{b.haloy, "validate-config"}},
	}
	cpu := make([][]int64, len(cmds))
	rss := make([][]int64, len(cmds))
	for r := range c.runs {
		for k := range cmds {
			i := (k + r) % len(cmds) // rotate the order: no command always runs first
			u, err := b.measure(ctx, env, work, "", cmds[i].args[0], cmds[i].args[1:]...)
			if err != nil {
				return nil, err
			}
			if i == 2 && r == 0 {
				if n := strings.Count(u.stdout, ".example.com"); n != servers {
					return nil, fmt.Errorf("haloy server list printed %d servers, want %d:\n%s", n, servers, u.stdout)
				}
			}
			cpu[i] = append(cpu[i], int64(u.cpu))
			rss[i] = append(rss[i], u.maxRSS)
		}
	}
	helloCPU, helloRSS := median(cpu[0]), median(rss[0])
	var rows []row
	for i := 1; i < len(cmds); i++ {
		name := cmds[i].label
		if i >= 2 {
			name += fmt.Sprintf(" (%d servers)", servers)
		}
		mc, mr := median(cpu[i]), median(rss[i])
		cr := float64(mc) / float64(helloCPU)
		rr := float64(mr) / float64(helloRSS)
		cpuRow := row{figure: name + ": CPU user+sys, median of " + fmt.Sprint(c.runs), ours: ms(mc), baseline: ms(helloCPU) + " hello-world",
			ratio: cr, target: fmt.Sprintf("<= %.1fx", startupCPUTarget), status: verdict(cr <= startupCPUTarget)}
		rssRow := row{figure: name + ": peak RSS, median", ours: mib(mr), baseline: mib(helloRSS) + " hello-world",
			ratio: rr, target: "< 30 MiB", status: verdict(mr < startupRSSTarget)}
		if i == 1 { // kong alone: context for the rows below
			cpuRow.target, cpuRow.status = "-", statusInfo
			rssRow.target, rssRow.status = "-", statusInfo
		}
		rows = append(rows, cpuRow, rssRow)
	}
	return rows, nil
}

func ms(ns int64) string { return fmt.Sprintf("%.2f ms", float64(ns)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
