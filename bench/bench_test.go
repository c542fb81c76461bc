package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []int64
		want int64
	}{
		{"empty", nil, 0},
		{"one", []int64{7}, 7},
		{"odd_unsorted", []int64{9, 1, 5}, 5},
		{"even_mean_of_middle", []int64{4, 1, 3, 2}, 2}, // (2+3)/2 in integers
		{"outlier_ignored", []int64{10, 11, 12, 1000, 9}, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]int64(nil), tt.in...)
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %d, want %d", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(in, tt.in); diff != "" {
				t.Errorf("median changed its input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/haloy-auth/haloy/core
BenchmarkNormalizeServer/names-2         	  300000	      3901 ns/op	     120 B/op	       3 allocs/op
BenchmarkNormalizeServer/names-2         	  300000	      9000 ns/op	     120 B/op	       3 allocs/op
BenchmarkNormalizeServer/names-2         	  300000	      3700 ns/op	     120 B/op	       3 allocs/op
BenchmarkNormalizeServer/baseline_lower-2	 5000000	       480.5 ns/op
BenchmarkHashAPIToken	       1	      2604 ns/op
PASS
ok  	github.com/haloy-auth/haloy/core	0.032s
`
	// the fastest of several runs counts
	want := map[string]float64{"NormalizeServer/names": 3700, "NormalizeServer/baseline_lower": 480.5, "HashAPIToken": 2604}
	if diff := cmp.Diff(want, parseBench(out)); diff != "" {
		t.Errorf("parseBench mismatch (-want +got):\n%s", diff)
	}
}

func TestParseSpawnReport(t *testing.T) {
	got, err := parseSpawnReport("1500000 500000 2048 0 1024\n")
	if err != nil {
		t.Fatal(err)
	}
	want := usage{cpu: 2 * time.Millisecond, maxRSS: 2 << 20, floorRSS: 1 << 20}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(usage{})); diff != "" {
		t.Errorf("parseSpawnReport mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "1 2 3", "1 2 x 0 1"} {
		if _, err := parseSpawnReport(bad); err == nil {
			t.Errorf("parseSpawnReport(%q) = nil error, want one", bad)
		}
	}
}

func TestSpliceGenerated(t *testing.T) {
	gen := beginMark + "\nnew table\n" + endMark + "\n"
	tests := []struct {
		name, doc, want string
	}{
		{"new_file", "", defaultIntro + "\n" + gen},
		{"no_markers", "# Perf\n\nnotes", "# Perf\n\nnotes\n\n" + gen},
		{"replaces_between_markers_keeps_the_rest",
			"# Perf\nintro\n" + beginMark + "\nold table\n" + endMark + "\n## Findings\nkept\n",
			"# Perf\nintro\n" + gen + "## Findings\nkept\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spliceGenerated(tt.doc, gen); got != tt.want {
				t.Errorf("spliceGenerated(%q) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestMarkdownTableEscapesPipes(t *testing.T) {
	got := markdownTable([]row{{figure: "a|b", ours: "1 ms", baseline: "2 ms", ratio: 0.5, target: "<= 1x", status: statusPass}})
	want := "| figure | ours | baseline | ratio | target | pass/fail |\n|---|---:|---:|---:|---|---|\n| a\\|b | 1 ms | 2 ms | 0.50x | <= 1x | pass |\n"
	if got != want {
		t.Errorf("markdownTable = %q, want %q", got, want)
	}
}

// buildSpawn builds the launcher and the hello-world into a temp dir.
func buildSpawn(t *testing.T) *bench {
	t.Helper()
	dir := t.TempDir()
	b := &bench{dir: dir, spawn: filepath.Join(dir, "spawn"), hello: filepath.Join(dir, "hello"), logf: t.Logf}
	for out, pkg := range map[string]string{b.spawn: "./spawn", b.hello: "./hello"} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	return b
}

// The bench's own resident set must not show in a child's peak: Go starts
// children with vfork, and Linux then counts the parent's peak in the
// child's. The test holds 64 MiB while a hello-world runs.
func TestMeasureReportsTheChildsOwnPeak(t *testing.T) {
	b := buildSpawn(t)
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	u, err := b.measure(context.Background(), os.Environ(), "", "", b.hello)
	if got, want := u.stdout, "hello, world\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if err != nil {
		t.Fatal(err)
	}
	if u.maxRSS <= 0 || u.maxRSS > 16<<20 {
		t.Errorf("hello-world peak RSS = %d bytes, want between 0 and 16 MiB (the test holds 64 MiB)", u.maxRSS)
	}
	if u.cpu < 0 || u.wall <= 0 {
		t.Errorf("cpu = %v, wall = %v, want cpu >= 0 and wall > 0", u.cpu, u.wall)
	}
	_ = ballast[len(ballast)-1]
}

func TestMeasureFailsOnNonZeroExit(t *testing.T) {
	b := buildSpawn(t)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	_, err = b.measure(context.Background(), os.Environ(), "", "", sh, "-c", "echo broken >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("measure(exit 3) error = %v, want one quoting stderr %q", err, "broken")
	}
}

// Every token the bench hands a child is looked for in every output.
func TestMeasureRefusesOutputWithASecret(t *testing.T) {
	b := buildSpawn(t)
	tok := b.secret()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	env := append(os.Environ(), "T="+tok)
	for _, script := range []string{`echo "token: $T"`, `echo "$T" >&2`, `echo "$T" >&2; exit 1`} {
		_, err := b.measure(context.Background(), env, "", "", sh, "-c", script)
		if err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("measure(sh -c %q) error = %v, want one about a secret", script, err)
		}
		if err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("measure(sh -c %q) error %q holds the token itself", script, err)
		}
	}
	if _, err := b.measure(context.Background(), env, "", "", sh, "-c", "echo fine"); err != nil {
		t.Errorf("measure(echo fine) = %v, want nil", err)
	}
}

func TestParseProcStat(t *testing.T) {
	// a command name with a space and a parenthesis, as /proc shows it
	line := "4242 (haloy adm) (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 7 0 123 456 789\n"
	got, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 175 * clockTick; got != want {
		t.Errorf("parseProcStat(%q) = %v, want %v", line, got, want)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 12 13"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) = nil error, want one", bad)
		}
	}
}

func TestParseWrk(t *testing.T) {
	const ok = `Running 1s test @ http://127.0.0.1:4000/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   520.00us  100.00us   2.00ms   90.00%
  18250 requests in 1.00s, 3.20MB read
Requests/sec:  18250.00
`
	const refused = `  1 threads and 16 connections
  20000 requests in 1.01s, 3.20MB read
  Non-2xx or 3xx responses: 20000
Requests/sec:  19801.98
`
	const some = `  18250 requests in 1.00s, 3.20MB read
  Non-2xx or 3xx responses: 3
`
	tests := []struct {
		name    string
		out     string
		refused bool
		want    float64 // requests per second; 0 for an error
	}{
		{"all_2xx", ok, false, 18250},
		{"refused_all_errors", refused, true, 20000 / 1.01},
		{"refused_but_answered", ok, true, 0},
		{"some_not_2xx", some, false, 0},
		{"socket_errors", ok + "  Socket errors: connect 0, read 2, write 0, timeout 0\n", false, 0},
		{"no_summary", "unable to connect to 127.0.0.1:4000 Connection refused\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseWrk(tt.out, tt.refused)
			if tt.want == 0 {
				if err == nil {
					t.Fatalf("parseWrk = %+v, want an error", res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.PerSecond(); got < tt.want*0.999 || got > tt.want*1.001 {
				t.Errorf("PerSecond() = %.2f, want %.2f", got, tt.want)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{{0, "0"}, {10, "10"}, {999, "999"}, {1000, "1,000"}, {10000, "10,000"}, {1234567, "1,234,567"}, {-1000, "-1,000"}}
	for _, tt := range tests {
		if got := thousands(tt.in); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
