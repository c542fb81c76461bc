package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/bench/internal/delayproxy"
)

// Fan-out (issues 7 and 17): deploying to 100 servers, each deployment's
// log followed to its end, must take less than 1.5 times deploying to one,
// when every server is 100 ms away.
const (
	fanoutServers      = 100
	fanoutSmokeServers = 10 // the smoke run only checks that the step works
	fanoutDelay        = 100 * time.Millisecond
	fanoutTarget       = 1.5
)

// fanout measures the wall time of `haloy deploy --all` to 100 targets on
// 100 haloyadm servers, each behind a proxy that delays every response by
// 100 ms, against `haloy deploy -t t00` (one target, one server). Each
// deploy follows its deployment's log (server-sent events) to its end.
func (b *bench) fanout(ctx context.Context, c config) ([]row, error) {
	servers := fanoutServers
	if c.smoke {
		servers = fanoutSmokeServers
	}
	cfg, err := b.mkdir("fanout", "client")
	if err != nil {
		return nil, err
	}
	work, err := b.mkdir("fanout", "app")
	if err != nil {
		return nil, err
	}
	env := b.childEnv("HALOY_CONFIG_DIR=" + cfg)
	var yaml strings.Builder
	yaml.WriteString("name: bench-app\nimage:\n  repository: ghcr.io/example/bench-app\n  tag: latest\ntargets:\n")
	for i := range servers {
		s, tok, err := b.haloyadmServer(ctx, fmt.Sprintf("fanout-%02d", i), 1)
		if err != nil {
			return nil, err
		}
		p, err := delayproxy.Start(s.url, fanoutDelay)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		// the server's name is the proxy's loopback address: haloy talks plain
		// HTTP only to loopback
		if _, err := b.measure(ctx, env, work, tok+"\n", b.haloy, "server", "add", p.Addr, "--token-stdin"); err != nil {
			return nil, err
		}
		fmt.Fprintf(&yaml, "  t%02d:\n    server: %q\n", i, p.Addr)
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		return nil, fmt.Errorf("write app config: %w", err)
	}
	cmds := [][]string{{"deploy", "-t", "t00"}, {"deploy", "--all"}}
	wall := make([][]int64, len(cmds))
	for r := range c.runs {
		for k := range cmds {
			i := (k + r) % len(cmds)
			u, err := b.measure(ctx, env, work, "", b.haloy, cmds[i]...)
			if err != nil {
				return nil, err
			}
			wall[i] = append(wall[i], int64(u.wall))
		}
	}
	one, all := median(wall[0]), median(wall[1])
	ratio := float64(all) / float64(one)
	return []row{{
		figure: fmt.Sprintf("haloy deploy --all: %d targets on %d servers %v away, logs followed, wall time, median of %d", servers, servers, fanoutDelay, c.runs),
		ours:   ms(all), baseline: ms(one) + " one target", ratio: ratio,
		target: fmt.Sprintf("< %.1fx", fanoutTarget), status: verdict(ratio < fanoutTarget),
	}}, nil
}
