package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// status is a row's verdict.
type status string

const (
	statusPass  status = "pass"
	statusFail  status = "FAIL"
	statusInfo  status = "info" // no target: shown for context
	statusError status = "error"
)

// row is one line of the table.
type row struct {
	figure   string
	ours     string
	baseline string
	ratio    float64 // ours / baseline; 0 when there is none
	target   string
	status   status
}

// verdict turns a check into a status.
func verdict(ok bool) status {
	if ok {
		return statusPass
	}
	return statusFail
}

func (r row) ratioText() string {
	if r.ratio == 0 || math.IsNaN(r.ratio) || math.IsInf(r.ratio, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.ratio)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var header = []string{"figure", "ours", "baseline", "ratio", "target", "pass/fail"}

func (r row) cells() []string {
	return []string{r.figure, orDash(r.ours), orDash(r.baseline), r.ratioText(), orDash(r.target), string(r.status)}
}

// printTable prints rows as an aligned text table.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	tw.Flush()
}

// markdownTable returns rows as a Markdown table.
func markdownTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|---|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		c := r.cells()
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", `\|`)
		}
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	return b.String()
}

// machine describes where the bench ran.
type machine struct {
	cpus    int
	model   string
	goVer   string
	osArch  string
	date    time.Time
	kernel  string
	version string // git describe of the tree measured
}

func thisMachine(ctx context.Context) machine {
	m := machine{cpus: runtime.NumCPU(), model: cpuModel(), goVer: runtime.Version(),
		osArch: runtime.GOOS + "/" + runtime.GOARCH, date: time.Now().UTC()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		m.version = strings.TrimSpace(string(out))
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// The generated part of docs/performance.md lies between these markers;
// text around them is kept, so the page can explain the numbers.
const (
	beginMark = "<!-- bench:begin (written by `task bench`; edit outside the markers) -->"
	endMark   = "<!-- bench:end -->"
)

// generated is the part of the report that each run rewrites.
func generated(m machine, c config, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", beginMark)
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), %s, %s", m.date.Format("2006-01-02 15:04 MST"), m.cpus, m.model, m.goVer, m.osArch)
	if m.kernel != "" {
		fmt.Fprintf(&b, ", Linux %s", m.kernel)
	}
	if m.version != "" {
		fmt.Fprintf(&b, ", tree %s", m.version)
	}
	fmt.Fprintf(&b, ".\nSettings: %d runs per process figure, %d load rounds of %v with %d connections, Go benchmarks at -benchtime %s -count %d",
		c.runs, c.rounds, c.loadTime, c.conns, c.benchDur, c.benchCount)
	if c.smoke {
		b.WriteString(" (smoke run: the numbers mean nothing)")
	}
	b.WriteString(".\n\n")
	b.WriteString(markdownTable(rows))
	fmt.Fprintf(&b, "%s\n", endMark)
	return b.String()
}

// defaultIntro starts docs/performance.md when it does not exist yet.
const defaultIntro = "# Performance\n\n`task bench` (`go run ./bench`) measures these figures, each beside a baseline measured in the same run.\n\n"

// writeReport puts the generated table into path, between the markers if
// the file has them, else at the end of a new file.
func writeReport(path string, m machine, c config, rows []row) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	text := spliceGenerated(string(old), generated(m, c, rows))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// spliceGenerated replaces the marked part of doc with gen, keeping what is
// around it. A doc without markers gets gen appended (an empty doc gets the
// default introduction first).
func spliceGenerated(doc, gen string) string {
	i := strings.Index(doc, beginMark)
	j := strings.Index(doc, endMark)
	if i >= 0 && j > i {
		return doc[:i] + gen + strings.TrimPrefix(doc[j+len(endMark):], "\n")
	}
	if doc == "" {
		doc = defaultIntro
	}
	if !strings.HasSuffix(doc, "\n") {
		doc += "\n"
	}
	return doc + "\n" + gen
}

// thousands formats a count as the rows spell it: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
