package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sample = `{"go_module":"m","files":[{"file_name":"a.go","mutations":[
{"type":"CONDITIONALS_BOUNDARY","status":"LIVED","line":9,"column":3},
{"type":"CONDITIONALS_NEGATION","status":"KILLED","line":2,"column":1},
{"type":"ARITHMETIC_BASE","status":"TIMED OUT","line":3,"column":1},
{"type":"ARITHMETIC_BASE","status":"NOT COVERED","line":4,"column":1},
{"type":"ARITHMETIC_BASE","status":"NOT VIABLE","line":5,"column":1},
{"type":"CONDITIONALS_BOUNDARY","status":"LIVED","line":7,"column":12}]}]}`

func TestParseReport(t *testing.T) {
	got, err := parseReport([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := report{Killed: 1, Lived: 2, TimedOut: 1, NotCovered: 1, NotViable: 1, Survivors: []mutation{
		{File: "a.go", Type: "CONDITIONALS_BOUNDARY", Status: "LIVED", Line: 7, Column: 12},
		{File: "a.go", Type: "CONDITIONALS_BOUNDARY", Status: "LIVED", Line: 9, Column: 3},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseReport mismatch (-want +got):\n%s", diff)
	}
	if _, err := parseReport([]byte(`{"files":[{"file_name":"a.go","mutations":[{"status":"WEIRD"}]}]}`)); err == nil {
		t.Error("parseReport accepted an unknown status")
	}
}

func TestParseNotes(t *testing.T) {
	got, err := parseNotes(strings.NewReader("# reasons\n\ncore/a.go:7:12 CONDITIONALS_BOUNDARY | equivalent | x == 1 gives 0 either way\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]note{"core/a.go:7:12 CONDITIONALS_BOUNDARY": {"equivalent", "x == 1 gives 0 either way"}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(note{})); diff != "" {
		t.Errorf("parseNotes mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"core/a.go:1:1 T | maybe | why", "core/a.go:1:1 T | killed |", "core/a.go:1:1 T | open |", "core/a.go:1:1 T open"} {
		if _, err := parseNotes(strings.NewReader(bad)); err == nil {
			t.Errorf("parseNotes(%q) = nil error", bad)
		}
	}
}

func TestRunWritesBlocks(t *testing.T) {
	dir := t.TempDir()
	rep, notes, out := filepath.Join(dir, "r.json"), filepath.Join(dir, "notes.txt"), filepath.Join(dir, "testing.md")
	os.WriteFile(rep, []byte(sample), 0o600)
	os.WriteFile(notes, []byte("core/a.go:7:12 CONDITIONALS_BOUNDARY | equivalent | the loop ends either way\n"), 0o600)
	os.WriteFile(out, []byte("# Testing\n\nintro\n"), 0o600)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := run(out, notes, "abc1234", 60, 1, "core", rep, now); err != nil {
		t.Fatal(err)
	}
	if err := run(out, notes, "abc1234", 60, 2, "adapters/fs", rep, now); err != nil {
		t.Fatal(err)
	}
	// a second run of core replaces its block and leaves the others
	if err := run(out, notes, "def5678", 60, 1, "core", rep, now); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	block := func(pkg, commit, workers, first string) string {
		return "<!-- mutate:" + pkg + ":begin -->\n### " + pkg + "\n\n" +
			"Measured 2026-11-30 12:00 UTC at commit " + commit + " (gremlins, " + workers + ", timeout coefficient 60). " +
			"**Efficacy 33.3%**: 1 killed, 2 lived; 1 timed out, 1 not viable, 1 not covered by the package's tests.\n\n" +
			first + "\n" +
			"- `a.go:9:3` CONDITIONALS_BOUNDARY: **open**: not yet examined\n" +
			"<!-- mutate:" + pkg + ":end -->\n"
	}
	want := "# Testing\n\nintro\n\n" +
		block("core", "def5678", "one worker", "Survivors: 1 equivalent, 1 open.\n\n- `a.go:7:12` CONDITIONALS_BOUNDARY: **equivalent**: the loop ends either way") + "\n" +
		block("adapters/fs", "abc1234", "2 workers", "Survivors: 0 equivalent, 2 open.\n\n- `a.go:7:12` CONDITIONALS_BOUNDARY: **open**: not yet examined")
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("testing.md mismatch (-want +got):\n%s", diff)
	}
	if err := run(out, notes, "x", 60, 1, "core", filepath.Join(dir, "missing.json"), now); err == nil {
		t.Error("run with no report = nil error")
	}
}
