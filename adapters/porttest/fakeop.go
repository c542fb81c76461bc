package porttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeOpScript stands in for the 1Password CLI. It appends its argv to
// "argv" (arguments separated by \037, one call per line), then answers
// `op item get <item> --vault <vault> ... --format json` from
// items/<vault>/<item>.json, with op's own error texts for a missing item
// and a signed-out session (file "signedout"). File "slow" makes it hang.
const fakeOpScript = `#!/bin/sh
d=$(dirname "$0")
us=$(printf '\037')
line=""
for a in "$@"; do line="$line$a$us"; done
# One write per call, so that concurrent calls never interleave.
printf '%s\n' "$line" >>"$d/argv"
if [ -f "$d/signedout" ]; then
  echo "[ERROR] 2026/11/27 03:00:00 You are not currently signed in. Please run \` + "`" + `op signin --help\` + "`" + ` for instructions" >&2
  exit 1
fi
if [ -f "$d/slow" ]; then exec sleep 30; fi
if [ -f "$d/garbage" ]; then cat "$d/garbage"; exit 0; fi
item=$3
shift 3
vault=""
while [ $# -gt 0 ]; do
  case "$1" in
    --vault) vault=$2; shift 2 ;;
    *) shift ;;
  esac
done
if [ ! -d "$d/items/$vault" ]; then
  echo "[ERROR] 2026/11/27 03:00:00 \"$vault\" isn't a vault in this account. Specify the vault with its ID or name." >&2
  exit 1
fi
f="$d/items/$vault/$item.json"
if [ ! -f "$f" ]; then
  echo "[ERROR] 2026/11/27 03:00:00 \"$item\" isn't an item in the \"$vault\" vault. Specify the item with its UUID, name, or domain." >&2
  exit 1
fi
cat "$f"
`

// FakeOp is a fake op program in a temporary directory.
type FakeOp struct {
	// Bin is the program's path.
	Bin string
	dir string
}

// NewFakeOp writes a fake op program holding items ("vault/item" -> label
// -> value), each printed in the shape of `op item get --format json`.
func NewFakeOp(t *testing.T, items SecretItems) *FakeOp {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "op")
	if err := os.WriteFile(bin, []byte(fakeOpScript), 0o700); err != nil {
		t.Fatal(err)
	}
	for key, fields := range items {
		vault, item, _ := strings.Cut(key, "/")
		if err := os.MkdirAll(filepath.Join(dir, "items", vault), 0o700); err != nil {
			t.Fatal(err)
		}
		b, err := json.MarshalIndent(opItem(vault, item, fields), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "items", vault, item+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &FakeOp{Bin: bin, dir: dir}
}

// opItem builds an item as `op item get --format json` prints it (op 2.x):
// built-in fields such as notesPlain come without a value.
func opItem(vault, item string, fields map[string]string) map[string]any {
	fs := []map[string]any{{
		"id": "notesPlain", "type": "STRING", "purpose": "NOTES", "label": "notesPlain",
		"reference": "op://" + vault + "/" + item + "/notesPlain",
	}}
	for label, value := range fields {
		fs = append(fs, map[string]any{
			"id": "f" + label, "section": map[string]any{"id": "add more"}, "type": "CONCEALED",
			"label": label, "value": value, "reference": "op://" + vault + "/" + item + "/" + label,
		})
	}
	return map[string]any{
		"id": "abcdefghijklmnopqrstuvwxyz", "title": item, "version": 3,
		"vault":    map[string]any{"id": "vaultid0123456789", "name": vault},
		"category": "API_CREDENTIAL", "last_edited_by": "USERID", "created_at": "2026-01-12T16:29:26Z",
		"updated_at": "2026-01-12T16:29:26Z", "additional_information": "",
		"sections": []map[string]any{{"id": "add more"}}, "fields": fs,
	}
}

// Calls returns the argv of every call so far, in order.
func (f *FakeOp) Calls(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "argv"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		calls = append(calls, strings.Split(strings.TrimSuffix(line, "\037"), "\037"))
	}
	return calls
}

// Set turns on a behaviour: "signedout", "slow", or "garbage" (prints
// content instead of an item).
func (f *FakeOp) Set(t *testing.T, behaviour, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, behaviour), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
