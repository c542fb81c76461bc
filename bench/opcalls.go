package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/haloy-auth/haloy/adapters/porttest"
)

// Secret provider calls (issues 7 and 15): for every backend, 30
// references into 3 sources must read the backend 3 times, once per
// source, however many keys each source gives.
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

// backendBench is one backend in the op-calls step: how its sources are
// declared, and how the bench stands in for it and counts its reads.
type backendBench struct {
	provider string
	// settings is the YAML of source i's settings, indented under it.
	settings func(i int) string
	// setup writes what source i's reads need (a fake program's answer, an
	// encrypted file) holding fields, into bin (first on PATH) or work
	// (the app config's directory).
	setup func(bin, work string, i int, fields map[string]string) error
	// prepare runs once before the sources' setup; nil for nothing.
	prepare func(bin, work string) error
	// env is extra environment for haloy.
	env []string
	// count returns how many times the backend was read.
	count func(bin, work string) (int, error)
	// start begins counting before haloy runs; nil when count needs no
	// preparation. It returns a function that stops counting.
	start func(work string) (stop func() (int, error), err error)
}

// argvLines counts the calls a fake program logged in bin/argv.
func argvLines(bin, _ string) (int, error) { return countLines(filepath.Join(bin, "argv")) }

func countLines(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read calls: %w", err)
	}
	// One line per call; a call without arguments logs an empty line.
	return strings.Count(string(raw), "\n"), nil
}

// fakeProgram writes a porttest fake (or the script given) as bin/name.
func fakeProgram(name, script string) func(bin, work string) error {
	return func(bin, _ string) error {
		if script == "" {
			script = porttest.FakeScript(name)
		}
		if err := os.MkdirAll(filepath.Join(bin, "items"), 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(bin, name), []byte(script), 0o700)
	}
}

// answer writes item's answer for a fake program.
func answer(bin, item string, b []byte) error {
	return os.WriteFile(filepath.Join(bin, "items", porttest.ItemFileName(item)), b, 0o600)
}

func backends() []backendBench {
	return []backendBench{
		{provider: "onepassword",
			settings: func(i int) string { return fmt.Sprintf("vault: Bench\n      item: Item %d", i) },
			prepare:  fakeProgram("op", fakeOp),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				return writeOpItem(bin, "Bench", fmt.Sprintf("Item %d", i), fields)
			},
			count: func(bin, _ string) (int, error) { return countLines(filepath.Join(bin, "calls")) }},
		{provider: "sops",
			settings: func(i int) string { return fmt.Sprintf("file: secrets/item%d.json", i) },
			// `sops decrypt --output-type json <file>`: the bench's files
			// are plaintext, so the fake prints the file.
			prepare: fakeProgram("sops", porttest.FakeScriptWith(`for a in "$@"; do f=$a; done`+"\n"+`cat "$f"`+"\n")),
			setup: func(_, work string, i int, fields map[string]string) error {
				b, err := json.Marshal(fields)
				if err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Join(work, "secrets"), 0o700); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(work, "secrets", fmt.Sprintf("item%d.json", i)), b, 0o600)
			},
			count: argvLines},
		{provider: "pass",
			settings: func(i int) string { return fmt.Sprintf("path: bench/item%d", i) },
			// `pass show -- <path>`: the entry's text.
			prepare: fakeProgram("pass", porttest.FakeScriptWith(`cat "$(item_file "$3")"`+"\n")),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				var b strings.Builder
				b.WriteString("\n")
				for _, k := range slices.Sorted(maps.Keys(fields)) {
					b.WriteString(k + ": " + fields[k] + "\n")
				}
				return answer(bin, fmt.Sprintf("bench/item%d", i), []byte(b.String()))
			},
			count: argvLines},
		{provider: "bitwarden", env: []string{"BW_SESSION=bench-session"},
			settings: func(i int) string { return fmt.Sprintf("item: bench-item-%d", i) },
			prepare:  fakeProgram("bw", ""),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				name := fmt.Sprintf("bench-item-%d", i)
				return answer(bin, name, porttest.BitwardenItem(name, fields))
			},
			count: argvLines},
		{provider: "doppler",
			settings: func(i int) string { return fmt.Sprintf("project: bench\n      config: cfg%d", i) },
			prepare:  fakeProgram("doppler", ""),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				name := fmt.Sprintf("bench/cfg%d", i)
				return answer(bin, name, porttest.DopplerDownload(name, fields))
			},
			count: argvLines},
		{provider: "aws",
			settings: func(i int) string { return fmt.Sprintf("secret_id: bench/item%d\n      region: eu-west-1", i) },
			prepare:  fakeProgram("aws", ""),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				b, err := json.Marshal(fields)
				if err != nil {
					return err
				}
				id := fmt.Sprintf("bench/item%d", i)
				return answer(bin, id, porttest.AWSSecretValue(id, string(b)))
			},
			count: argvLines},
		{provider: "gcp",
			settings: func(i int) string { return fmt.Sprintf("secret: bench-item-%d\n      project: bench", i) },
			prepare:  fakeProgram("gcloud", ""),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				b, err := json.Marshal(fields)
				if err != nil {
					return err
				}
				name := fmt.Sprintf("bench-item-%d", i)
				return answer(bin, name, porttest.GcloudAccess(name, b))
			},
			count: argvLines},
		{provider: "vault",
			settings: func(i int) string { return fmt.Sprintf("mount: kv\n      path: bench/item%d", i) },
			prepare:  fakeProgram("vault", ""),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				return answer(bin, fmt.Sprintf("kv/bench/item%d", i), porttest.VaultKVGet(fields))
			},
			count: argvLines},
		{provider: "exec",
			settings: func(i int) string { return fmt.Sprintf("command: [bench-helper]\n      source: item%d", i) },
			// The request's source picks the answer; a real helper would
			// parse the JSON, this one only needs the source's name.
			prepare: fakeProgram("bench-helper", porttest.FakeScriptWith(
				`src=$(sed -n 's/.*"source":"\([^"]*\)".*/\1/p')`+"\n"+`cat "$(item_file "$src")"`+"\n")),
			setup: func(bin, _ string, i int, fields map[string]string) error {
				b, err := json.Marshal(map[string]any{"values": fields})
				if err != nil {
					return err
				}
				return answer(bin, fmt.Sprintf("item%d", i), b)
			},
			count: argvLines},
		{provider: "age",
			settings: func(i int) string { return fmt.Sprintf("file: secrets/item%d.env.age\n      identity: key.txt", i) },
			prepare:  writeAgeKey,
			setup:    writeAgeFile,
			// Decrypted in process: the reads are the opens of the .age
			// files, counted with inotify.
			start: countOpens},
	}
}

// benchAgeKey is the age identity of the bench's run.
var benchAgeKey *age.X25519Identity

func writeAgeKey(_, work string) error {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	benchAgeKey = id
	if err := os.MkdirAll(filepath.Join(work, "secrets"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(work, "key.txt"), []byte(id.String()+"\n"), 0o600)
}

func writeAgeFile(_, work string, i int, fields map[string]string) error {
	var plain strings.Builder
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		plain.WriteString(k + "=" + fields[k] + "\n")
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, benchAgeKey.Recipient())
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(plain.String())); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(work, "secrets", fmt.Sprintf("item%d.env.age", i)), buf.Bytes(), 0o600)
}

// opCalls runs `haloy validate-config`, once per backend, on an app config
// whose 30 env entries point into 3 of that backend's sources, with fakes
// of the backend's program first on PATH, and counts the backend's reads.
func (b *bench) opCalls(ctx context.Context, c config) ([]row, error) {
	var rows []row
	for _, be := range backends() {
		r, err := b.backendCalls(ctx, be)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", be.provider, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func (b *bench) backendCalls(ctx context.Context, be backendBench) (row, error) {
	bin, err := b.mkdir("op", be.provider, "bin")
	if err != nil {
		return row{}, err
	}
	work, err := b.mkdir("op", be.provider, "app")
	if err != nil {
		return row{}, err
	}
	cfg, err := b.mkdir("op", be.provider, "client")
	if err != nil {
		return row{}, err
	}
	if be.prepare != nil {
		if err := be.prepare(bin, work); err != nil {
			return row{}, err
		}
	}
	var yaml strings.Builder
	yaml.WriteString("name: bench-app\nserver: op.example.com\napi_token:\n  from:\n    env: BENCH_API_TOKEN\n")
	fmt.Fprintf(&yaml, "image:\n  repository: ghcr.io/example/bench-app\nsecret_providers:\n  %s:\n", be.provider)
	for i := range opItems {
		fmt.Fprintf(&yaml, "    item%d:\n      %s\n", i, be.settings(i))
	}
	yaml.WriteString("env:\n")
	var secrets []string
	for i := range opItems {
		fields := map[string]string{}
		for j := range opRefsInItem {
			label := fmt.Sprintf("FIELD%02d", j)
			fields[label] = b.secret()
			secrets = append(secrets, fields[label])
			fmt.Fprintf(&yaml, "  - name: VAR_%d_%02d\n    from:\n      secret: \"%s:item%d:%s\"\n", i, j, be.provider, i, label)
		}
		if err := be.setup(bin, work, i, fields); err != nil {
			return row{}, err
		}
	}
	if err := os.WriteFile(filepath.Join(work, "haloy.yaml"), []byte(yaml.String()), 0o600); err != nil {
		return row{}, fmt.Errorf("write app config: %w", err)
	}
	env := b.childEnv(append([]string{"HALOY_CONFIG_DIR=" + cfg, "BENCH_API_TOKEN=" + b.secret()}, be.env...)...)
	for i, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(e, "PATH=")
		}
	}
	var stop func() (int, error)
	if be.start != nil {
		if stop, err = be.start(work); err != nil {
			return row{}, err
		}
	}
	u, err := b.measure(ctx, env, work, "", b.haloy, "validate-config")
	var calls int
	if stop != nil {
		n, serr := stop()
		if err == nil {
			err = serr
		}
		calls = n
	}
	if err != nil {
		return row{}, err
	}
	if be.count != nil {
		if calls, err = be.count(bin, work); err != nil {
			return row{}, err
		}
	}
	// The fakes log their argv: no value may be in it.
	for _, name := range []string{"argv", "calls"} {
		raw, _ := os.ReadFile(filepath.Join(bin, name))
		for _, s := range secrets {
			if strings.Contains(string(raw), s) || strings.Contains(u.stdout+u.stderr, s) {
				return row{}, fmt.Errorf("a secret value appears in %s's argv or haloy's output", be.provider)
			}
		}
	}
	refs := opItems * opRefsInItem
	return row{
		figure: fmt.Sprintf("%s reads for %d references into %d sources (validate-config)", be.provider, refs, opItems),
		ours:   fmt.Sprintf("%d reads", calls), baseline: fmt.Sprintf("%d reads, one per reference", refs),
		ratio: float64(calls) / float64(refs), target: fmt.Sprintf("= %d", opItems), status: verdict(calls == opItems),
	}, nil
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
