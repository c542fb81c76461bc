// Command mutreport writes one package's mutation-testing result (the JSON
// report of gremlins) into docs/testing.md: the counts, the efficacy, and
// every surviving mutant with its reason from the notes file (equivalent,
// and why; open; or killed by a test added since, and which). `go tool task mutate` runs it after each package.
//
//	mutreport -out docs/testing.md -notes docs/mutation-notes.txt -commit abc1234 core report.json
//
// Each package has its own block in out, between <!-- mutate:PKG:begin -->
// and <!-- mutate:PKG:end -->; the block is replaced, or appended at the end,
// so that packages measured at different times keep their own figures.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "docs/testing.md", "the Markdown file to update")
	notes := flag.String("notes", "docs/mutation-notes.txt", "the reasons for survivors: lines of PKG/FILE:LINE:COL TYPE | equivalent|open|killed | why")
	commit := flag.String("commit", "", "the commit measured")
	coef := flag.Int("timeout-coefficient", 0, "the timeout coefficient the run used")
	workers := flag.Int("workers", 1, "the number of gremlins workers the run used")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: mutreport [flags] PACKAGE REPORT.json")
		os.Exit(2)
	}
	// the run ended when gremlins wrote its report, which may be well
	// before this block is written
	measured := time.Now()
	if fi, err := os.Stat(flag.Arg(1)); err == nil {
		measured = fi.ModTime()
	}
	if err := run(*out, *notes, *commit, *coef, *workers, flag.Arg(0), flag.Arg(1), measured.UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "mutreport:", err)
		os.Exit(1)
	}
}

func run(outPath, notesPath, commit string, coef, workers int, pkg, reportPath string, now time.Time) error {
	data, err := os.ReadFile(reportPath)
	if err != nil {
		return fmt.Errorf("read gremlins report: %w (gremlins writes none when a package has no covered mutant)", err)
	}
	rep, err := parseReport(data)
	if err != nil {
		return fmt.Errorf("%s: %w", reportPath, err)
	}
	reasons := map[string]note{}
	if f, err := os.Open(notesPath); err == nil {
		reasons, err = parseNotes(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", notesPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc, err := os.ReadFile(outPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	block := renderBlock(pkg, rep, reasons, commit, coef, workers, now)
	if err := os.WriteFile(outPath, []byte(replaceBlock(string(doc), pkg, block)), 0o644); err != nil {
		return err
	}
	fmt.Printf("mutreport: %s: efficacy %.1f%% (%d killed, %d lived, %d timed out), %d not covered\n",
		pkg, rep.efficacy(), rep.Killed, rep.Lived, rep.TimedOut, rep.NotCovered)
	return nil
}

type mutation struct {
	File   string
	Type   string `json:"type"`
	Status string `json:"status"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

type report struct {
	Killed, Lived, TimedOut, NotCovered, NotViable int
	Survivors                                      []mutation
}

func (r report) efficacy() float64 {
	if r.Killed+r.Lived == 0 {
		return 0
	}
	return float64(r.Killed) / float64(r.Killed+r.Lived) * 100
}

// parseReport counts gremlins' per-mutation statuses itself (its totals
// leave out timed-out mutants) and lists the survivors in file order.
func parseReport(data []byte) (report, error) {
	var raw struct {
		Files []struct {
			Name      string     `json:"file_name"`
			Mutations []mutation `json:"mutations"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return report{}, fmt.Errorf("not a gremlins JSON report: %w", err)
	}
	var r report
	for _, f := range raw.Files {
		for _, m := range f.Mutations {
			m.File = f.Name
			switch m.Status {
			case "KILLED":
				r.Killed++
			case "LIVED":
				r.Lived++
				r.Survivors = append(r.Survivors, m)
			case "TIMED OUT":
				r.TimedOut++
			case "NOT COVERED":
				r.NotCovered++
			case "NOT VIABLE":
				r.NotViable++
			default:
				return report{}, fmt.Errorf("unknown mutation status %q", m.Status)
			}
		}
	}
	sort.Slice(r.Survivors, func(i, j int) bool {
		a, b := r.Survivors[i], r.Survivors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Type < b.Type
	})
	return r, nil
}

type note struct{ status, why string }

// parseNotes reads lines "PKG/FILE:LINE:COL TYPE | STATUS | why" (STATUS
// equivalent, open or killed); # starts
// a comment.
func parseNotes(r io.Reader) (map[string]note, error) {
	out := map[string]note{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %d: want PKG/FILE:LINE:COL TYPE | equivalent|open | why", n)
		}
		key, status, why := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		if status != "equivalent" && status != "open" && status != "killed" {
			return nil, fmt.Errorf("line %d: status %q, want equivalent, open or killed", n, status)
		}
		if why == "" {
			return nil, fmt.Errorf("line %d: no reason given", n)
		}
		out[key] = note{status, why}
	}
	return out, sc.Err()
}

func noteKey(pkg string, m mutation) string {
	return fmt.Sprintf("%s/%s:%d:%d %s", pkg, m.File, m.Line, m.Column, m.Type)
}

func renderBlock(pkg string, r report, reasons map[string]note, commit string, coef, workers int, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", pkg)
	w := "one worker"
	if workers != 1 {
		w = fmt.Sprintf("%d workers", workers)
	}
	fmt.Fprintf(&b, "Measured %s at commit %s (gremlins, %s, timeout coefficient %d). ", now.Format("2006-01-02 15:04 MST"), commit, w, coef)
	fmt.Fprintf(&b, "**Efficacy %.1f%%**: %d killed, %d lived; %d timed out, %d not viable, %d not covered by the package's tests.\n\n",
		r.efficacy(), r.Killed, r.Lived, r.TimedOut, r.NotViable, r.NotCovered)
	if len(r.Survivors) == 0 {
		b.WriteString("No survivors.\n")
		return b.String()
	}
	eq, open, killed := 0, 0, 0
	var lines []string
	for _, m := range r.Survivors {
		n, ok := reasons[noteKey(pkg, m)]
		if !ok {
			n = note{"open", "not yet examined"}
		}
		switch n.status {
		case "equivalent":
			eq++
		case "killed":
			killed++
		default:
			open++
		}
		lines = append(lines, fmt.Sprintf("- `%s:%d:%d` %s: **%s**: %s", m.File, m.Line, m.Column, m.Type, n.status, n.why))
	}
	fmt.Fprintf(&b, "Survivors: %d equivalent, %d open", eq, open)
	if killed > 0 {
		fmt.Fprintf(&b, ", %d killed since by a test added after the measured commit (each checked by applying the mutant)", killed)
	}
	fmt.Fprintf(&b, ".\n\n%s\n", strings.Join(lines, "\n"))
	return b.String()
}

// replaceBlock puts block between pkg's markers in doc, or appends it.
func replaceBlock(doc, pkg, block string) string {
	begin, end := "<!-- mutate:"+pkg+":begin -->", "<!-- mutate:"+pkg+":end -->"
	wrapped := begin + "\n" + block + end
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + wrapped + doc[j+len(end):]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n") {
		doc += "\n"
	}
	if doc != "" {
		doc += "\n"
	}
	return doc + wrapped + "\n"
}
