package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Secret provider calls (issue 7): 30 references into 3 1Password items
// must run op 3 times, once per item, however many fields each item gives.
const (
	opItems      = 3
	opRefsInItem = 10
)

// fakeOp stands in for the 1Password CLI: it appends one line per call to
// calls (its arguments, which must never hold a secret), then prints
// items/<vault>/<item>.json as `op item get <item> --vault <vault>
// --format json` would.
const fakeOp = `#!/bin/sh
d=$(dirname "$0")
printf '%s\n' "$*" >>"$d/calls"
item=$3
vault=""
while [ $# -gt 0 ]; do
  case "$1" in
    --vault) vault=$2; shift 2 ;;
    *) shift ;;
  esac
done
f="$d/items/$vault/$item.json"
if [ ! -f "$f" ]; then
  echo "[ERROR] \"$item\" isn't an item in the \"$vault\" vault." >&2
  exit 1
fi
cat "$f"
`

// opCalls runs `haloy validate-config` on an app config whose 30 env
// entries point into 3 items, with a fake op first on PATH, and counts the
// op runs.
func (b *bench) opCalls(ctx context.Context, c config) ([]row, error) {
	bin, err := b.mkdir("op", "bin")
	if err != nil {
		return nil, err
	}
	work, err := b.mkdir("op", "app")
	if err != nil {
		return nil, err
	}
	cfg, err := b.mkdir("op", "client")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bin, "op"), []byte(fakeOp), 0o700); err != nil {
		return nil, fmt.Errorf("write fake op: %w", err)
	}
	var yaml strings.Builder
	yaml.WriteString("name: bench-app\nserver: op.example.com\napi_token:\n  from:\n    env: BENCH_API_TOKEN\n")
	yaml.WriteString("image:\n  repository: ghcr.io/example/bench-app\nsecret_providers:\n  onepassword:\n")
	var secrets []string
	for i := range opItems {
		fmt.Fprintf(&yaml, "    item%d:\n      vault: Bench\n      item: Item %d\n", i, i)
	}
	yaml.WriteString("env:\n")
	for i := range opItems {
		fields := map[string]string{}
		for j := range opRefsInItem {
			label := fmt.Sprintf("field%02d", j)
			fields[label] = b.secret()
			secrets = append(secrets, fields[label])
			fmt.Fprintf(&yaml, "  - name: VAR_%d_%02d\n    from:\n      secret: \"onepassword:item%d.%s\"\n", i, j, i, label)
		}
		if err := writeOpItem(bin, "Bench", fmt.Sprintf("Item %d", i), fields); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		return nil, fmt.Errorf("write app config: %w", err)
	}
	env := b.childEnv("HALOY_CONFIG_DIR="+cfg, "BENCH_API_TOKEN="+b.secret())
	for i, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(e, "PATH=")
		}
	}
	u, err := b.measure(ctx, env, work, "", b.haloy, "validate-config")
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(bin, "calls"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read op calls: %w", err)
	}
	calls := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(raw) == 0 {
		calls = nil
	}
	for _, s := range secrets {
		if strings.Contains(string(raw), s) || strings.Contains(u.stdout+u.stderr, s) {
			return nil, fmt.Errorf("a secret value appears in op's argv or haloy's output")
		}
	}
	refs := opItems * opRefsInItem
	return []row{{
		figure: fmt.Sprintf("op runs for %d references into %d 1Password items (validate-config)", refs, opItems),
		ours:   fmt.Sprintf("%d runs", len(calls)), baseline: fmt.Sprintf("%d runs, one per reference", refs),
		ratio: float64(len(calls)) / float64(refs), target: fmt.Sprintf("= %d", opItems), status: verdict(len(calls) == opItems),
	}}, nil
}

// writeOpItem writes an item in the shape of `op item get --format json`.
func writeOpItem(bin, vault, item string, fields map[string]string) error {
	var fs []map[string]string
	for label, value := range fields {
		fs = append(fs, map[string]string{"id": "f" + label, "type": "CONCEALED", "label": label, "value": value,
			"reference": "op://" + vault + "/" + item + "/" + label})
	}
	b, err := json.Marshal(map[string]any{"id": "benchitem", "title": item, "vault": map[string]string{"name": vault}, "fields": fs})
	if err != nil {
		return fmt.Errorf("encode op item: %w", err)
	}
	d := filepath.Join(bin, "items", vault)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("make %s: %w", d, err)
	}
	if err := os.WriteFile(filepath.Join(d, item+".json"), b, 0o600); err != nil {
		return fmt.Errorf("write op item: %w", err)
	}
	return nil
}
