package fs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
)

// TestDeleteLastServerRemovesToken: deleting the only server leaves an
// empty .env, not the deleted server's token.
func TestDeleteLastServerRemovesToken(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok-a")
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Delete("a.example.com")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "" {
		t.Errorf(".env after deleting the last server = %q, want it empty", got)
	}
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Servers) != 0 || len(st.Tokens) != 0 {
		t.Errorf("Load() after deleting the last server = %d servers, %d tokens, want none", len(st.Servers), len(st.Tokens))
	}
}

// TestEmptyQuotedValueEndsItsLine: an empty quoted value (double or single
// quotes) is a whole value, not the start of a multi-line one; read as an
// open quote it would swallow the token line below it, which then could
// neither be replaced nor deleted.
func TestEmptyQuotedValueEndsItsLine(t *testing.T) {
	for _, empty := range []string{`""`, `''`} {
		t.Run(strconv.Quote(empty), func(t *testing.T) {
			s, dir, _ := newStore(t)
			addServer(t, s, "a.example.com", "tok-a")
			addServer(t, s, "b.example.com", "tok-b")
			envPath := filepath.Join(dir, EnvFile)
			old := "EMPTY=" + empty + "\nHALOY_API_TOKEN_A_EXAMPLE_COM=tok-a\nHALOY_API_TOKEN_B_EXAMPLE_COM=tok-b\nAFTER=1\n"
			if err := os.WriteFile(envPath, []byte(old), 0o600); err != nil {
				t.Fatal(err)
			}
			err := s.Update(context.Background(), func(st *core.ClientState) error {
				if _, err := st.Delete("a.example.com"); err != nil {
					return err
				}
				_, err := st.Add(core.AddServer{Server: "b.example.com", Token: "new-b", Force: true})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(envPath)
			want := "EMPTY=" + empty + "\nHALOY_API_TOKEN_B_EXAMPLE_COM=new-b\nAFTER=1\n"
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf(".env after delete a, replace b (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSplitEntries pins how lines are grouped into entries: like gotenv, a
// quoted value that its line does not close runs on to the line that does.
func TestSplitEntries(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []entry
	}{
		{"empty_double", "A=\"\"\nB=1\n", []entry{{"A=\"\"\n", "A"}, {"B=1\n", "B"}}},
		{"empty_single", "A=''\nB=1\n", []entry{{"A=''\n", "A"}, {"B=1\n", "B"}}},
		{"closed_on_its_line", "A=\"x y\"\nB=1\n", []entry{{"A=\"x y\"\n", "A"}, {"B=1\n", "B"}}},
		{"two_lines", "A=\"one\ntwo\"\nB=1\n", []entry{{"A=\"one\ntwo\"\n", "A"}, {"B=1\n", "B"}}},
		{"single_quoted_two_lines", "A='one\ntwo'\nB=1\n", []entry{{"A='one\ntwo'\n", "A"}, {"B=1\n", "B"}}},
		// the closing quote first on its line
		{"closed_at_column_0", "A=\"one\n\"\nB=1\n", []entry{{"A=\"one\n\"\n", "A"}, {"B=1\n", "B"}}},
		// a line of the value that looks like an assignment stays in it
		{"assignment_inside", "A=\"one\nHALOY_API_TOKEN_X=in\"\nHALOY_API_TOKEN_X=out\n",
			[]entry{{"A=\"one\nHALOY_API_TOKEN_X=in\"\n", "A"}, {"HALOY_API_TOKEN_X=out\n", "HALOY_API_TOKEN_X"}}},
		// an escaped quote ends neither the first line nor the next
		{"escaped_quote_first_line", "A=\"one\\\"\ntwo\"\nB=1\n", []entry{{"A=\"one\\\"\ntwo\"\n", "A"}, {"B=1\n", "B"}}},
		{"escaped_quote_next_line", "A=\"one\ntw\\\"o\\\"\nthree\"\nB=1\n", []entry{{"A=\"one\ntw\\\"o\\\"\nthree\"\n", "A"}, {"B=1\n", "B"}}},
		{"escaped_quote_at_column_1", "A=\"one\n\\\"\ntwo\"\nB=1\n", []entry{{"A=\"one\n\\\"\ntwo\"\n", "A"}, {"B=1\n", "B"}}},
		{"lone_quote_opens", "A=\"\nB\"\nC=1\n", []entry{{"A=\"\nB\"\n", "A"}, {"C=1\n", "C"}}},
		{"colon_form", "A: \"one\ntwo\"\nB=1\n", []entry{{"A: \"one\ntwo\"\n", "A"}, {"B=1\n", "B"}}},
		{"crlf", "A=\"one\r\ntwo\"\r\nB=1\r\n", []entry{{"A=\"one\r\ntwo\"\r\n", "A"}, {"B=1\r\n", "B"}}},
		{"unclosed_to_the_end", "A=\"one\ntwo\nB=1\n", []entry{{"A=\"one\ntwo\nB=1\n", "A"}}},
		{"empty_value", "A=\nB=1\n", []entry{{"A=\n", "A"}, {"B=1\n", "B"}}},
		{"quote_inside_bare_value", "A=x\"y\nB=1\n", []entry{{"A=x\"y\n", "A"}, {"B=1\n", "B"}}},
		{"no_key", "=\"x\nB=1\n", []entry{{"=\"x\n", ""}, {"B=1\n", "B"}}},
		{"comment_and_blank", "# c \"\n\n  \nB=1", []entry{{"# c \"\n", ""}, {"\n", ""}, {"  \n", ""}, {"B=1", "B"}}},
		{"last_line_without_break", "A=\"one\ntwo\"", []entry{{"A=\"one\ntwo\"", "A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitEntries([]byte(tt.data))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(entry{})); diff != "" {
				t.Errorf("splitEntries(%q) mismatch (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}

// TestSplitEntriesAgreesWithGotenv: each entry parses alone to what the
// whole file gives its key, so replacing or dropping one entry never
// changes another variable.
func TestSplitEntriesAgreesWithGotenv(t *testing.T) {
	files := []string{
		"A=\"\"\nB=1\n",
		"A=\"one\ntwo\"\nB='x\ny'\nC=\"3\"\n",
		"A=\"one\\\"\ntwo\"\nB=1\n",
		"A=\"one\n\"\nB=1\n",
		"A=\"one\n\\\"\ntwo\"\nB=1\n",
		"export A='p q'\n# c\nB=2 # comment\n",
	}
	for _, data := range files {
		whole, err := gotenv.StrictParse(strings.NewReader(data))
		if err != nil {
			t.Fatalf("gotenv.StrictParse(%q): %v", data, err)
		}
		got := map[string]string{}
		for _, e := range splitEntries([]byte(data)) {
			one, err := gotenv.StrictParse(strings.NewReader(e.raw))
			if err != nil {
				t.Fatalf("entry %q of %q: %v", e.raw, data, err)
			}
			for k, v := range one {
				if k != e.key {
					t.Errorf("entry %q of %q sets %s, but its key is %q", e.raw, data, k, e.key)
				}
				got[k] = v
			}
		}
		if diff := cmp.Diff(map[string]string(whole), got); diff != "" {
			t.Errorf("entries of %q parse to (-whole file +entries one by one):\n%s", data, diff)
		}
	}
}

// TestMisplacedTokenKeyHidden: a key of client.yaml that is not a field is
// named in the error when it could be a typo (up to 40 characters, no
// token prefix), and hidden when it could be a token pasted in the wrong
// place.
func TestMisplacedTokenKeyHidden(t *testing.T) {
	key40 := strings.Repeat("k", 40)
	key41 := strings.Repeat("q", 41)
	prefixed := core.APITokenPrefix + "Zx9abcdefghij0123456" // a cut-off token: short, but with the prefix
	tests := []struct {
		name, key string
		hidden    bool
	}{
		{"typo", "token_envv", false},
		{"40_characters", key40, false},
		{"41_characters", key41, true},
		{"token_prefix", prefixed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir, _ := newStore(t)
			os.MkdirAll(dir, 0o700)
			os.WriteFile(filepath.Join(dir, ClientFile), []byte("servers:\n  a.example.com:\n    "+tt.key+": X\n"), 0o600)
			_, err := s.Load(context.Background())
			var ce *core.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load() = %v, want a *core.Error", err)
			}
			want := `[3:5] unknown field "` + tt.key + `"`
			if tt.hidden {
				want = "[3:5] invalid YAML here"
			}
			if ce.Why != want {
				t.Errorf("Load() error's Why = %q, want %q", ce.Why, want)
			}
		})
	}
}

// helperBetween runs one Update in a child process and stops between its
// two writes, saying so on stdout, so that the test can kill it there.
func helperBetween() int {
	betweenWrites = func() {
		fmt.Println("between")
		select {}
	}
	s := New(mapEnv{"HALOY_CONFIG_DIR": os.Getenv("HALOY_CONFIG_DIR")}, &notes{})
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		switch op := os.Getenv("HALOY_FS_TEST_OP"); op {
		case "add":
			_, err := st.Add(core.AddServer{Server: "b.example.com", Token: "tok-b"})
			return err
		case "delete":
			_, err := st.Delete("a.example.com")
			return err
		default:
			return fmt.Errorf("unknown op %q", op)
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("finished")
	return 0
}

// TestKillBetweenWrites kills a writer exactly between its two writes: an
// add writes .env first and a delete writes client.yaml first, so what is
// left never names a variable .env lacks, and at worst .env holds a token
// no server uses.
func TestKillBetweenWrites(t *testing.T) {
	tests := []struct {
		op          string
		wantServers []string
		wantTokens  []string // variables in .env after the kill
	}{
		{"add", []string{"a.example.com"}, []string{"HALOY_API_TOKEN_A_EXAMPLE_COM", "HALOY_API_TOKEN_B_EXAMPLE_COM"}},
		{"delete", []string{"c.example.com"}, []string{"HALOY_API_TOKEN_A_EXAMPLE_COM", "HALOY_API_TOKEN_C_EXAMPLE_COM"}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			s, dir, _ := newStore(t)
			addServer(t, s, "a.example.com", "tok-a")
			if tt.op == "delete" {
				addServer(t, s, "c.example.com", "tok-c")
			}
			c := exec.Command(os.Args[0], "-test.run=^$")
			c.Env = append(os.Environ(), "HALOY_FS_TEST_HELPER=between", "HALOY_CONFIG_DIR="+dir, "HALOY_FS_TEST_OP="+tt.op)
			c.Stderr = os.Stderr
			out, err := c.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			c.Process.Kill()
			c.Wait()
			if line != "between\n" {
				t.Fatalf("helper said %q, %v; want it to stop between the writes", line, err)
			}

			st, err := s.Load(context.Background())
			if err != nil {
				t.Fatalf("Load() after the kill: %v", err)
			}
			if diff := cmp.Diff(tt.wantServers, st.ServerNames()); diff != "" {
				t.Errorf("servers after the kill (-want +got):\n%s", diff)
			}
			for _, ref := range st.Servers {
				if _, ok := st.Tokens[ref.TokenEnv]; !ok {
					t.Errorf("client.yaml names %s, which .env lacks", ref.TokenEnv)
				}
			}
			var vars []string
			for k := range st.Tokens {
				vars = append(vars, k)
			}
			if diff := cmp.Diff(tt.wantTokens, vars, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("variables in .env after the kill (-want +got):\n%s", diff)
			}
		})
	}
}
