package fs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/joho/godotenv"
	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/haloy-auth/haloy/adapters/porttest"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// mapEnv is a fixed environment (adapters never import each other, so not memory.Env).
type mapEnv map[string]string

func (e mapEnv) Lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// notes records warnings.
type notes struct {
	mu    sync.Mutex
	warns []string
}

func (n *notes) Warn(m string) { n.mu.Lock(); n.warns = append(n.warns, m); n.mu.Unlock() }
func (n *notes) Info(string)   {}

func (n *notes) Wait(string) func() { return func() {} }

func newStore(t *testing.T) (*Store, string, *notes) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	n := &notes{}
	return New(mapEnv{"HALOY_CONFIG_DIR": dir}, n), dir, n
}

func TestMain(m *testing.M) {
	switch os.Getenv("HALOY_FS_TEST_HELPER") {
	case "add":
		os.Exit(helperAdd())
	case "churn":
		os.Exit(helperChurn())
	case "between":
		os.Exit(helperBetween())
	}
	os.Exit(m.Run())
}

func TestStoreContract(t *testing.T) {
	porttest.ClientStore(t, func(t *testing.T) ports.ClientStore {
		s, _, _ := newStore(t)
		return s
	})
}

func TestDir(t *testing.T) {
	tests := []struct {
		name string
		env  mapEnv
		want string
	}{
		{"haloy_config_dir_wins", mapEnv{"HALOY_CONFIG_DIR": "/cfg/h", "XDG_CONFIG_HOME": "/x", "HOME": "/home/u"}, "/cfg/h"},
		{"haloy_config_dir_tilde", mapEnv{"HALOY_CONFIG_DIR": "~/haloy-cfg", "HOME": "/home/u"}, "/home/u/haloy-cfg"},
		{"empty_haloy_config_dir_ignored", mapEnv{"HALOY_CONFIG_DIR": "", "HOME": "/home/u"}, "/home/u/.config/haloy"},
		// Haloy never reads XDG_CONFIG_HOME: neither do we, unless only
		// that directory exists (TestDirXDG)
		{"xdg_not_there", mapEnv{"XDG_CONFIG_HOME": "/x", "HOME": "/home/u"}, "/home/u/.config/haloy"},
		// the XDG spec says a relative XDG_CONFIG_HOME is invalid and ignored
		{"xdg_relative_ignored", mapEnv{"XDG_CONFIG_HOME": "rel", "HOME": "/home/u"}, "/home/u/.config/haloy"},
		{"home", mapEnv{"HOME": "/home/u"}, "/home/u/.config/haloy"},
		// Windows sets USERPROFILE and no HOME; os.UserHomeDir reads it there too
		{"userprofile", mapEnv{"USERPROFILE": "/users/u"}, "/users/u/.config/haloy"},
		{"empty_home_userprofile", mapEnv{"HOME": "", "USERPROFILE": "/users/u"}, "/users/u/.config/haloy"},
		{"home_wins_over_userprofile", mapEnv{"HOME": "/home/u", "USERPROFILE": "/users/u"}, "/home/u/.config/haloy"},
		{"tilde_userprofile", mapEnv{"HALOY_CONFIG_DIR": "~/h", "USERPROFILE": "/users/u"}, "/users/u/h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.env, &notes{}).Dir()
			if err != nil || got != tt.want {
				t.Errorf("Dir() with %v = %q, %v, want %q", tt.env, got, err, tt.want)
			}
		})
	}
	_, err := New(mapEnv{}, &notes{}).Dir()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.Missing {
		t.Errorf("Dir() with no variables = %v, want a *core.Error of Kind Missing", err)
	}
}

// TestNewDoesNoIO: the directory is resolved on first use, not at construction.
func TestNewDoesNoIO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never")
	s := New(mapEnv{"HALOY_CONFIG_DIR": dir}, &notes{})
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatalf("Load() of a missing directory: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New+Load created %s (stat: %v); want no directory before the first Update", dir, err)
	}
}

func addServer(t *testing.T, s *Store, server, token string) {
	t.Helper()
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: server, Token: token})
		return err
	})
	if err != nil {
		t.Fatalf("add %s: %v", server, err)
	}
}

func TestLooseEnvIsTightened(t *testing.T) {
	s, dir, n := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	envPath := filepath.Join(dir, EnvFile)
	// Haloy's own writer leaves .env 0644.
	if err := os.Chmod(envPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	info, _ := os.Stat(envPath)
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode after Load = %04o, want 0600", got)
	}
	want := []string{envPath + " was readable by other users (mode 0644); changed it to 0600, as it holds API tokens"}
	if diff := cmp.Diff(want, n.warns); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

func TestWritableEnvIsRefused(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	envPath := filepath.Join(dir, EnvFile)
	before, _ := os.ReadFile(envPath)
	if err := os.Chmod(envPath, 0o664); err != nil {
		t.Fatal(err)
	}
	want := &core.Error{Kind: core.Unsafe, What: strconv.Quote(envPath) + " is writable by other users",
		Why: "its mode is 0664; whoever can write it can swap a server's API token", Fix: "chmod 600 " + envPath}
	_, err := s.Load(context.Background())
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Load() error mismatch (-want +got):\n%s", diff)
	}
	err = s.Update(context.Background(), func(st *core.ClientState) error {
		t.Error("Update ran fn on an unsafe .env")
		return nil
	})
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Update() error mismatch (-want +got):\n%s", diff)
	}
	after, _ := os.ReadFile(envPath)
	info, _ := os.Stat(envPath)
	if string(before) != string(after) || info.Mode().Perm() != 0o664 {
		t.Errorf("refused .env was changed: mode %04o", info.Mode().Perm())
	}
}

// A directory others can write lets them plant a .env of their own, or
// rename one over ours, whatever the modes of the files in it.
func TestWritableDirIsRefused(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	want := &core.Error{Kind: core.Unsafe, What: "haloy's config directory " + strconv.Quote(dir) + " is writable by other users",
		Why: "its mode is 0777; whoever can write it can replace the files that hold your API tokens", Fix: "chmod 700 " + dir}
	_, err := s.Load(context.Background())
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Load() error mismatch (-want +got):\n%s", diff)
	}
	err = s.Update(context.Background(), func(st *core.ClientState) error {
		t.Error("Update ran fn in an unsafe directory")
		return nil
	})
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Update() error mismatch (-want +got):\n%s", diff)
	}
}

func TestForeignLinesPreserved(t *testing.T) {
	s, dir, _ := newStore(t)
	envPath := filepath.Join(dir, EnvFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	foreign := "# personal tokens, keep\nGITHUB_TOKEN=ghp_x # inline\n\nexport REGISTRY_PASSWORD='p a s s'\n"
	if err := os.WriteFile(envPath, []byte(foreign), 0o600); err != nil {
		t.Fatal(err)
	}
	addServer(t, s, "a.example.com", "tok-a")
	addServer(t, s, "b.example.com", "tok-b")
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Delete("a.example.com")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(envPath)
	want := foreign + "HALOY_API_TOKEN_B_EXAMPLE_COM=tok-b\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf(".env after add, add, delete (-want +got):\n%s", diff)
	}
}

func TestForceReplacesInPlace(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "old")
	addServer(t, s, "b.example.com", "tok-b")
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "a.example.com", Token: "new#1", Force: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, EnvFile))
	want := "HALOY_API_TOKEN_A_EXAMPLE_COM='new#1'\nHALOY_API_TOKEN_B_EXAMPLE_COM=tok-b\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf(".env after --force (-want +got):\n%s", diff)
	}
}

func TestClientYAMLShape(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "production.haloy.com", "p")
	addServer(t, s, "localhost:9922", "l")
	got, _ := os.ReadFile(filepath.Join(dir, ClientFile))
	want := "servers:\n" +
		"  localhost:9922:\n    token_env: HALOY_API_TOKEN_LOCALHOST_9922\n" +
		"  production.haloy.com:\n    token_env: HALOY_API_TOKEN_PRODUCTION_HALOY_COM\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("client.yaml (-want +got):\n%s", diff)
	}
}

func TestStrictYAML(t *testing.T) {
	s, dir, _ := newStore(t)
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, ClientFile)
	os.WriteFile(path, []byte("servers:\n  a.example.com:\n    token_envv: X\n"), 0o600)
	_, err := s.Load(context.Background())
	// issue 16: the misspelled key gets a "did you mean"
	want := &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path), Why: `[3:5] unknown field "token_envv"`,
		Fix: `did you mean "token_env"? fix the file: it holds servers: {<server>: {token_env: <VARIABLE>}}`}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load() = %v, want a *core.Error", err)
	}
	ce.Err = nil
	if diff := cmp.Diff(want, ce); diff != "" {
		t.Errorf("Load() error (-want +got):\n%s", diff)
	}
}

func TestBadEnvLine(t *testing.T) {
	s, dir, _ := newStore(t)
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, EnvFile)
	// The broken line holds a token: the error must say where, not what.
	os.WriteFile(path, []byte("# tokens\nGOOD=1\nthis s3cret-token is not an assignment\n"), 0o600)
	_, err := s.Load(context.Background())
	want := &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path),
		Why: "line 3 is neither NAME=value nor a # comment", Fix: "fix or remove that line (" + path + ")"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Load() error (-want +got):\n%s", diff)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Load() error holds the line's content: %v", err)
	}
}

// TestSymlinkedEnv: a .env linked from a dotfiles repository stays a link.
func TestSymlinkedEnv(t *testing.T) {
	s, dir, _ := newStore(t)
	os.MkdirAll(dir, 0o700)
	target := filepath.Join(t.TempDir(), "dotfiles.env")
	os.WriteFile(target, []byte("OTHER=1\n"), 0o600)
	if err := os.Symlink(target, filepath.Join(dir, EnvFile)); err != nil {
		t.Fatal(err)
	}
	addServer(t, s, "a.example.com", "tok")
	fi, err := os.Lstat(filepath.Join(dir, EnvFile))
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf(".env is no longer a symlink: %v %v", fi, err)
	}
	got, _ := os.ReadFile(target)
	if want := "OTHER=1\nHALOY_API_TOKEN_A_EXAMPLE_COM=tok\n"; string(got) != want {
		t.Errorf("link target = %q, want %q", got, want)
	}
}

// TestHaloyWrittenFilesLoad: files as Haloy's client writes them (yaml.v3
// with 4-space indent and quotes; godotenv.Write, 0644) load, and writing
// back keeps Haloy's own lines.
func TestHaloyWrittenFilesLoad(t *testing.T) {
	s, dir, _ := newStore(t)
	os.MkdirAll(dir, 0o700)
	type haloyServer struct {
		TokenEnv string `yaml:"token_env"`
	}
	type haloyClient struct {
		Servers map[string]haloyServer `yaml:"servers"`
	}
	y, err := yamlv3.Marshal(haloyClient{Servers: map[string]haloyServer{
		"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
		"staging.haloy.com":    {TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ClientFile), y, 0o644)
	tokens := map[string]string{
		"HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "abc123token456",
		"HALOY_API_TOKEN_STAGING_HALOY_COM":    `de"f$7!8`,
	}
	if err := godotenv.Write(tokens, filepath.Join(dir, EnvFile)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, EnvFile), 0o600)
	got, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	want := core.ClientState{
		Servers: map[string]core.ServerRef{
			"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
			"staging.haloy.com":    {TokenEnv: "HALOY_API_TOKEN_STAGING_HALOY_COM"},
		},
		Tokens: tokens,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() of Haloy's files (-want +got):\n%s", diff)
	}
	// Haloy's seed format, quoted as its guide shows it.
	os.WriteFile(filepath.Join(dir, ClientFile), []byte("servers:\n  production.haloy.com:\n    token_env: \"HALOY_API_TOKEN_PRODUCTION_HALOY_COM\"\n"), 0o644)
	if got, err := s.Load(context.Background()); err != nil || got.Servers["production.haloy.com"].TokenEnv != "HALOY_API_TOKEN_PRODUCTION_HALOY_COM" {
		t.Errorf("Load() of the guide's client.yaml = %v, %v", got.Servers, err)
	}
}

// TestOursReadableByHaloy: what we write, Haloy's readers (yaml.v3 and
// godotenv) read back unchanged, tricky tokens included.
func TestOursReadableByHaloy(t *testing.T) {
	s, dir, _ := newStore(t)
	want := map[string]string{}
	for i, tok := range trickyTokens {
		if core.ValidateToken(tok) != nil {
			continue // e.g. "$HOME", refused as an unexpanded variable before it gets here
		}
		server := fmt.Sprintf("s%02d.example.com", i)
		addServer(t, s, server, tok)
		want[core.TokenEnv(server)] = tok
	}
	addServer(t, s, "[::1]:9922", "v6")
	want["HALOY_API_TOKEN__1_9922"] = "v6"
	got, err := godotenv.Read(filepath.Join(dir, EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("godotenv.Read of our .env (-want +got):\n%s", diff)
	}
	var cf struct {
		Servers map[string]struct {
			TokenEnv string `yaml:"token_env"`
		} `yaml:"servers"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, ClientFile))
	if err := yamlv3.Unmarshal(data, &cf); err != nil {
		t.Fatalf("yaml.v3 cannot read our client.yaml: %v", err)
	}
	if len(cf.Servers) != len(want) || cf.Servers["[::1]:9922"].TokenEnv != "HALOY_API_TOKEN__1_9922" {
		t.Errorf("yaml.v3 read %d servers (%v), want %d", len(cf.Servers), cf.Servers["[::1]:9922"], len(want))
	}
	// and ours reads ours back too
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, st.Tokens); diff != "" {
		t.Errorf("Load() tokens (-want +got):\n%s", diff)
	}
}

// helperAdd is one `haloy server add` in its own process.
func helperAdd() int {
	s := New(mapEnv{"HALOY_CONFIG_DIR": os.Getenv("HALOY_CONFIG_DIR")}, &notes{})
	i := os.Getenv("HALOY_FS_TEST_I")
	err := s.Update(context.Background(), func(st *core.ClientState) error {
		_, err := st.Add(core.AddServer{Server: "s" + i + ".example.com", Token: "token-" + i})
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestConcurrentProcessesLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	const n = 50
	cmds := make([]*exec.Cmd, n)
	start := time.Now()
	for i := range n {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "HALOY_FS_TEST_HELPER=add", "HALOY_CONFIG_DIR="+dir, "HALOY_FS_TEST_I="+strconv.Itoa(i))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	t.Logf("%d concurrent adds took %v", n, time.Since(start))
	st, err := New(mapEnv{"HALOY_CONFIG_DIR": dir}, &notes{}).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		server := "s" + strconv.Itoa(i) + ".example.com"
		ref, ok := st.Servers[server]
		if !ok {
			t.Errorf("server %s lost", server)
			continue
		}
		if got := st.Tokens[ref.TokenEnv]; got != "token-"+strconv.Itoa(i) {
			t.Errorf("token of %s = %q, want %q", server, got, "token-"+strconv.Itoa(i))
		}
	}
	if len(st.Servers) != n || len(st.Tokens) != n {
		t.Errorf("%d servers and %d tokens, want %d of each", len(st.Servers), len(st.Tokens), n)
	}
}

// churnServers is how many servers the churn helper rewrites each round: enough
// to make each file over ten kilobytes, so that some kills land mid-write.
const churnServers = 100

// helperChurn rewrites every token (round k gives all of them the value k)
// and adds or deletes one extra server each round, until it is killed.
func helperChurn() int {
	s := New(mapEnv{"HALOY_CONFIG_DIR": os.Getenv("HALOY_CONFIG_DIR")}, &notes{})
	pad := strings.Repeat("x", 100)
	for k := 0; ; k++ {
		err := s.Update(context.Background(), func(st *core.ClientState) error {
			for i := range churnServers {
				name := fmt.Sprintf("s%03d.example.com", i)
				st.Servers[name] = core.ServerRef{TokenEnv: core.TokenEnv(name)}
				st.Tokens[core.TokenEnv(name)] = fmt.Sprintf("%d-%d-%s", os.Getpid(), k, pad)
			}
			if _, ok := st.Servers["extra.example.com"]; ok {
				_, err := st.Delete("extra.example.com")
				return err
			}
			_, err := st.Add(core.AddServer{Server: "extra.example.com", Token: "extra-" + pad})
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(k) // tells the test that a round is on disk
	}
}

// TestKilledWriterLeavesWholeFiles kills a writer at random moments (SIGKILL:
// no deferred cleanup runs) and checks that both files always parse, that
// .env holds one round's tokens whole, and that client.yaml never names a
// variable .env lacks.
func TestKilledWriterLeavesWholeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	const rounds = 24
	seen := map[string]bool{}
	interrupted := 0
	for r := range rounds {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "HALOY_FS_TEST_HELPER=churn", "HALOY_CONFIG_DIR="+dir)
		c.Stderr = os.Stderr
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Time one round (between two "round written" lines), then kill
		// at a point that sweeps across the next round, its writes included.
		lines := bufio.NewReader(out)
		var stamps [2]time.Time
		for i := range stamps {
			if _, err := lines.ReadString('\n'); err != nil {
				t.Fatalf("round %d: churn helper stopped: %v", r, err)
			}
			stamps[i] = time.Now()
		}
		cycle := stamps[1].Sub(stamps[0])
		// Writes come last in a round: sweep its second half.
		time.Sleep(cycle/2 + cycle*time.Duration(r%12)/24)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()

		if temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(temps) > 0 {
			interrupted++
		}
		st, err := New(mapEnv{"HALOY_CONFIG_DIR": dir}, &notes{}).Load(context.Background())
		if err != nil {
			t.Fatalf("round %d: Load() after kill: %v", r, err)
		}
		values := map[string]bool{}
		for _, ref := range st.Servers {
			v, ok := st.Tokens[ref.TokenEnv]
			if !ok {
				t.Fatalf("round %d: client.yaml names %s, which .env lacks", r, ref.TokenEnv)
			}
			if ref.TokenEnv != "HALOY_API_TOKEN_EXTRA_EXAMPLE_COM" {
				values[v] = true
			}
		}
		if len(values) > 1 {
			t.Fatalf("round %d: .env mixes rounds: %v", r, prefixes(values))
		}
		maps.Copy(seen, values)
	}
	t.Logf("%d kills, %d of them mid-write (a temp file left), %d distinct rounds observed", rounds, interrupted, len(seen))
	// The next writer removes what killed writers left.
	err := New(mapEnv{"HALOY_CONFIG_DIR": dir}, &notes{}).Update(context.Background(), func(*core.ClientState) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(temps) != 0 {
		t.Errorf("temp files left after a new Update: %v", temps)
	}
}

func prefixes(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k[:min(len(k), 8)])
	}
	return out
}

// TestTornTempFileIgnored: a writer killed between creating its temporary
// file and renaming it leaves a partial file beside the real one; readers
// never look at it and the next writer removes it.
func TestTornTempFileIgnored(t *testing.T) {
	s, dir, _ := newStore(t)
	addServer(t, s, "a.example.com", "tok")
	want, _ := s.Load(context.Background())
	for _, name := range []string{".env.tmp-123", ".client.yaml.tmp-456"} {
		os.WriteFile(filepath.Join(dir, name), []byte("HALOY_API_TOKEN_A_EXAMPLE_COM='half"), 0o600)
	}
	got, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() beside torn temp files (-want +got):\n%s", diff)
	}
	addServer(t, s, "b.example.com", "tok-b")
	if temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(temps) != 0 {
		t.Errorf("temp files left after Update: %v", temps)
	}
}

// $XDG_CONFIG_HOME/haloy is used only where it exists and ~/.config/haloy
// does not (issue 16: with XDG_CONFIG_HOME set we wrote where Haloy never
// looks).
func TestDirXDG(t *testing.T) {
	for _, tt := range []struct {
		name           string
		haveXDG, haveH bool
		wantXDG        bool
	}{
		{"neither", false, false, false},
		{"only_xdg", true, false, true},
		{"only_home", false, true, false},
		{"both", true, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home, xdg := t.TempDir(), t.TempDir()
			if tt.haveXDG {
				os.MkdirAll(filepath.Join(xdg, "haloy"), 0o700)
			}
			if tt.haveH {
				os.MkdirAll(filepath.Join(home, ".config", "haloy"), 0o700)
			}
			want := filepath.Join(home, ".config", "haloy")
			if tt.wantXDG {
				want = filepath.Join(xdg, "haloy")
			}
			got, err := New(mapEnv{"HOME": home, "XDG_CONFIG_HOME": xdg}, &notes{}).Dir()
			if err != nil || got != want {
				t.Errorf("Dir() = %q, %v; want %q", got, err, want)
			}
		})
	}
}
