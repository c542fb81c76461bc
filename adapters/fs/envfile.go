package fs

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/subosito/gotenv"
)

// entry is one logical entry of a .env file: a comment, a blank line, or an
// assignment that may span several physical lines (a quoted value with line
// breaks). key is "" for anything that is not an assignment.
type entry struct {
	raw string // the physical lines as in the file, line breaks (\n or \r\n) included
	key string
}

var assignKey = regexp.MustCompile(`\A\s*(?:export\s+)?([\w.]+)\s*(?:=|:\s)`)

// splitEntries cuts a .env file into entries the way gotenv groups lines, so
// that a multi-line quoted value is kept whole. Joined, the entries' raw
// texts are data, byte for byte.
func splitEntries(data []byte) []entry {
	var lines []string
	for text := string(data); text != ""; {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, text)
			break
		}
		lines = append(lines, text[:i+1])
		text = text[i+1:]
	}
	var out []entry
	for i := 0; i < len(lines); i++ {
		raw := lines[i]
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			out = append(out, entry{raw: raw})
			continue
		}
		quote := openQuote(line)
		for quote != "" && i+1 < len(lines) {
			i++
			raw += lines[i]
			l := strings.TrimSuffix(strings.TrimSuffix(lines[i], "\n"), "\r")
			j := strings.LastIndex(l, quote)
			if j > 0 && l[j-1] == '\\' {
				continue
			}
			if j >= 0 {
				quote = ""
			}
		}
		e := entry{raw: raw}
		// a UTF-8 byte-order mark before the first name is not part of it
		if m := assignKey.FindStringSubmatch(strings.TrimPrefix(raw, "\ufeff")); m != nil {
			e.key = m[1]
		}
		out = append(out, e)
	}
	return out
}

// lineBreak returns the line break that ends raw: "\r\n", "\n", or "" for
// a last line without one.
func lineBreak(raw string) string {
	switch {
	case strings.HasSuffix(raw, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(raw, "\n"):
		return "\n"
	}
	return ""
}

// openQuote returns the quote character when line starts a quoted value that
// it does not close (gotenv's rule), else "".
func openQuote(line string) string {
	idx := strings.Index(line, "=")
	if idx == -1 {
		idx = strings.Index(line, ":")
	}
	if idx <= 0 || idx >= len(line)-1 {
		return ""
	}
	val := strings.TrimSpace(line[idx+1:])
	if val == "" || (val[0] != '"' && val[0] != '\'') {
		return ""
	}
	quote := val[:1]
	j := strings.LastIndex(strings.TrimSpace(val[1:]), quote)
	if j >= 0 && val[j] != '\\' {
		return ""
	}
	return quote
}

// bareSafe are the bytes a value may hold and still be written without
// quotes: every dotenv reader and a POSIX shell read them literally.
func bareSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("-_.+/=:@%,^", c) >= 0
}

// encodeValue writes v so that gotenv (ours) and joho/godotenv (Haloy's)
// read it back byte for byte, trying in turn:
//   - bare, when every byte is safe (a POSIX shell's `.` reads it too);
//   - single-quoted (no escapes, no expansion), when v has no ' and does not
//     end in a backslash;
//   - double-quoted with \ " $ ` escaped, when v does not end in " or a
//     backslash and holds no backslash followed by n or r (readers turn
//     those into line breaks before unescaping);
//   - as is, unquoted, when v has no # or $ and does not start with a quote.
//
// Returns an error for the values none of these fit (a ' together with a
// trailing backslash or ", or \n, and a # or $), which ValidateToken lets
// through but no dotenv syntax carries.
func encodeValue(v string) (string, error) {
	bare := v != ""
	for i := 0; i < len(v); i++ {
		if !bareSafe(v[i]) {
			bare = false
			break
		}
	}
	switch {
	case bare:
		return v, nil
	case !strings.Contains(v, "'") && !strings.HasSuffix(v, `\`):
		return "'" + v + "'", nil
	case !strings.HasSuffix(v, `\`) && !strings.HasSuffix(v, `"`) && !strings.Contains(v, `\n`) && !strings.Contains(v, `\r`):
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
		return `"` + r.Replace(v) + `"`, nil
	case v != "" && !strings.ContainsAny(v, "#$ \t") && v[0] != '"' && v[0] != '\'':
		return v, nil
	}
	return "", fmt.Errorf("no dotenv syntax carries this value unchanged")
}

// encodeLine returns KEY=VALUE, checked by parsing it back with gotenv.
func encodeLine(key, value string) (string, error) {
	enc, err := encodeValue(value)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", key, err)
	}
	line := key + "=" + enc
	got, err := gotenv.StrictParse(strings.NewReader(line))
	if err != nil || len(got) != 1 || got[key] != value {
		return "", fmt.Errorf("encode %s: the value does not read back unchanged", key)
	}
	return line, nil
}

// rewriteEnv returns the new .env content: old's entries kept in order and
// byte for byte (line breaks, \r\n included, and a variable written twice),
// except the entries of keys that are gone from want, dropped, and of keys
// whose value changed: the last one (the one readers use) is replaced in
// place and earlier ones, which hold old values, dropped. New keys are
// appended in sorted order, with the file's line break. have is what old
// parses to.
func rewriteEnv(old []byte, have, want map[string]string) ([]byte, error) {
	entries := splitEntries(old)
	last := map[string]int{}
	eol := "\n"
	for i, e := range entries {
		if e.key != "" {
			last[e.key] = i
		}
		if i == 0 && lineBreak(e.raw) == "\r\n" {
			eol = "\r\n"
		}
	}
	var b bytes.Buffer
	for i, e := range entries {
		if e.key == "" {
			b.WriteString(e.raw)
			continue
		}
		v, keep := want[e.key]
		if !keep {
			continue
		}
		if hv, ok := have[e.key]; ok && hv == v {
			b.WriteString(e.raw)
			continue
		}
		if last[e.key] != i {
			continue
		}
		line, err := encodeLine(e.key, v)
		if err != nil {
			return nil, err
		}
		b.WriteString(line + lineBreak(e.raw))
	}
	var added []string
	for k := range want {
		if _, ok := last[k]; !ok {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	if len(added) > 0 && b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteString(eol)
	}
	for _, k := range added {
		line, err := encodeLine(k, want[k])
		if err != nil {
			return nil, err
		}
		b.WriteString(line + eol)
	}
	return b.Bytes(), nil
}

// badLine names the first entry of data that gotenv refuses, e.g. "line 3"
// or "the entry at line 3 (FOO)", without its content.
func badLine(data []byte) string {
	line := 1
	for _, e := range splitEntries(data) {
		if _, err := gotenv.StrictParse(strings.NewReader(e.raw)); err != nil {
			if e.key != "" {
				return fmt.Sprintf("line %d (%s)", line, e.key)
			}
			return fmt.Sprintf("line %d", line)
		}
		line += strings.Count(e.raw, "\n")
	}
	return "a line"
}
