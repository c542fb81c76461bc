package fs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/joho/godotenv"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
)

// trickyTokens are values that naive dotenv writers mangle: Haloy's writer
// turns 00123 into 123, and unquoted # starts a comment.
var trickyTokens = []string{
	"abc123token456",
	"00123",
	"a#b",
	"x=y",
	`say"hi"`,
	"it's",
	`both'and"`,
	"$HOME",
	"${HOME}",
	`a\$HOME`,
	`back\slash`,
	`ends\`,
	`\n-not-a-newline`,
	`dq"\`,
	"tick`cmd`",
	"ünïcödé",
	"semi;colon&amp|pipe",
	"*glob?",
	"~tilde",
	"-leading-dash",
	"'",
	`"`,
	"#",
	"=",
	"base64+/abc==",
	"!bang",
	`it's\'`,
}

func TestEncodeLineRoundTrips(t *testing.T) {
	dir := t.TempDir()
	for _, tok := range trickyTokens {
		t.Run(tok, func(t *testing.T) {
			line, err := encodeLine("HALOY_API_TOKEN_X", tok)
			if err != nil {
				t.Fatalf("encodeLine(%q) error: %v", tok, err)
			}
			// ours
			got, err := gotenv.StrictParse(strings.NewReader(line + "\n"))
			if err != nil || got["HALOY_API_TOKEN_X"] != tok {
				t.Errorf("gotenv read %q back as %q (%v), want %q", line, got["HALOY_API_TOKEN_X"], err, tok)
			}
			// Haloy's reader
			hv, err := godotenv.Unmarshal(line + "\n")
			if err != nil || hv["HALOY_API_TOKEN_X"] != tok {
				t.Errorf("godotenv read %q back as %q (%v), want %q", line, hv["HALOY_API_TOKEN_X"], err, tok)
			}
			if strings.HasPrefix(line, "HALOY_API_TOKEN_X="+tok) && strings.ContainsAny(tok, `\'"`) {
				return // written as is for the dotenv readers only; a shell would not read it
			}
			// a POSIX shell sourcing the file
			p := filepath.Join(dir, "env")
			if err := os.WriteFile(p, []byte(line+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("sh", "-c", `. "$1" && printf '%s' "$HALOY_API_TOKEN_X"`, "sh", p).Output()
			if err != nil || string(out) != tok {
				t.Errorf("sh read %q back as %q (%v), want %q", line, out, err, tok)
			}
		})
	}
}

func TestEncodeLineRefusesWhatCannotRoundTrip(t *testing.T) {
	// These have no encoding that gotenv and godotenv both read back;
	// refusing beats writing a token that reads back different.
	for _, tok := range []string{`it's\n#`, `it's#\`, `'quoted"`, `it's$x"`} {
		if line, err := encodeLine("K", tok); err == nil {
			t.Errorf("encodeLine(%q) = %q, want an error", tok, line)
		}
	}
}

func TestEncodeValueForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc123", "abc123"},
		// every end of the letter and digit ranges is written bare
		{"AZaz09", "AZaz09"},
		{"00123", "00123"},
		{"base64+/abc==", "base64+/abc=="},
		{"a#b", "'a#b'"},
		{"$HOME", "'$HOME'"},
		{"it's", `"it's"`},
		{`it's$x`, `"it's\$x"`},
		{`say"hi"`, `'say"hi"'`},
		{`ends\`, `ends\`},
		{`dq"\`, `dq"\`},
		{`a'b\n`, `a'b\n`},
	}
	for _, tt := range tests {
		got, err := encodeValue(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("encodeValue(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRewriteEnv(t *testing.T) {
	old := "# my tokens\n" +
		"export FOREIGN=keep me\n" +
		"\n" +
		"HALOY_API_TOKEN_A=old\n" +
		"MULTI=\"line one\nline two\"\n" +
		"HALOY_API_TOKEN_B=gone # trailing comment\n" +
		"DUP=first\n" +
		"DUP=second\n"
	have, err := gotenv.StrictParse(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"FOREIGN":           "keep me",
		"HALOY_API_TOKEN_A": "new#1",
		"MULTI":             "line one\nline two",
		"DUP":               "second",
		"HALOY_API_TOKEN_Z": "zz",
		"HALOY_API_TOKEN_C": "cc",
	}
	got, err := rewriteEnv([]byte(old), have, want)
	if err != nil {
		t.Fatal(err)
	}
	wantText := "# my tokens\n" +
		"export FOREIGN=keep me\n" +
		"\n" +
		"HALOY_API_TOKEN_A='new#1'\n" +
		"MULTI=\"line one\nline two\"\n" +
		"DUP=first\n" + // the user's own duplicate stays (it was dropped)
		"DUP=second\n" +
		"HALOY_API_TOKEN_C=cc\n" +
		"HALOY_API_TOKEN_Z=zz\n"
	if diff := cmp.Diff(wantText, string(got)); diff != "" {
		t.Errorf("rewriteEnv mismatch (-want +got):\n%s", diff)
	}
	back, err := gotenv.StrictParse(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, map[string]string(back)); diff != "" {
		t.Errorf("rewritten file parses to (-want +got):\n%s", diff)
	}
}

// TestRewriteEnvKeepsBytes: lines haloy does not own stay byte for byte,
// \r\n line breaks and a variable written twice included; a replaced token
// keeps its line break, and new lines use the file's.
func TestRewriteEnvKeepsBytes(t *testing.T) {
	tests := []struct {
		name, old string
		want      map[string]string
		wantText  string
	}{
		{"crlf_kept_and_used",
			"# mine\r\nFOO=1\r\nFOO=2\r\nHALOY_API_TOKEN_A=old\r\n",
			map[string]string{"FOO": "2", "HALOY_API_TOKEN_A": "new", "HALOY_API_TOKEN_B": "b"},
			"# mine\r\nFOO=1\r\nFOO=2\r\nHALOY_API_TOKEN_A=new\r\nHALOY_API_TOKEN_B=b\r\n"},
		// a file that mixes line breaks: its first line's is the file's
		{"first_line_break_is_the_files",
			"FOO=1\r\nBAR=2\n",
			map[string]string{"FOO": "1", "BAR": "2", "HALOY_API_TOKEN_B": "b"},
			"FOO=1\r\nBAR=2\nHALOY_API_TOKEN_B=b\r\n"},
		{"first_line_break_is_the_files_lf",
			"FOO=1\nBAR=2\r\n",
			map[string]string{"FOO": "1", "BAR": "2", "HALOY_API_TOKEN_B": "b"},
			"FOO=1\nBAR=2\r\nHALOY_API_TOKEN_B=b\n"},
		{"no_final_line_break",
			"FOO=1",
			map[string]string{"FOO": "1", "HALOY_API_TOKEN_B": "b"},
			"FOO=1\nHALOY_API_TOKEN_B=b\n"},
		{"no_final_line_break_untouched",
			"FOO=1\nHALOY_API_TOKEN_A=old",
			map[string]string{"FOO": "1", "HALOY_API_TOKEN_A": "new"},
			"FOO=1\nHALOY_API_TOKEN_A=new"},
		// the first name after a UTF-8 byte-order mark is still that name: its line is kept, not written twice
		{"utf8_bom",
			"\ufeffFOO=1\n",
			map[string]string{"FOO": "1", "HALOY_API_TOKEN_B": "b"},
			"\ufeffFOO=1\nHALOY_API_TOKEN_B=b\n"},
		// an earlier entry of a replaced or removed token holds an old token: it goes
		{"shadowed_token_dropped",
			"HALOY_API_TOKEN_A=older\r\nHALOY_API_TOKEN_A=old\r\nHALOY_API_TOKEN_B=x\nHALOY_API_TOKEN_B=y\n",
			map[string]string{"HALOY_API_TOKEN_A": "new"},
			"HALOY_API_TOKEN_A=new\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := gotenv.StrictParse(strings.NewReader(tt.old))
			if err != nil {
				t.Fatal(err)
			}
			got, err := rewriteEnv([]byte(tt.old), have, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantText, string(got)); diff != "" {
				t.Errorf("rewriteEnv(%q) mismatch (-want +got):\n%s", tt.old, diff)
			}
		})
	}
}

// A UTF-16 .env would read back as garbage once haloy appends a UTF-8 line
// (found by FuzzEnvRewrite): it is refused, with the conversion as the fix.
func TestLoadRefusesUTF16Env(t *testing.T) {
	s, dir, _ := newStore(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	utf16 := []byte{0xff, 0xfe, 'A', 0, '=', 0, '1', 0, '\n', 0}
	if err := os.WriteFile(filepath.Join(dir, EnvFile), utf16, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load(context.Background())
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Invalid || !strings.Contains(ce.Why, "UTF-16") || !strings.Contains(ce.Fix, "iconv -f UTF-16 -t UTF-8") {
		t.Fatalf("Load() of a UTF-16 .env = %v, want an Invalid error naming UTF-16 with the iconv fix", err)
	}
}
