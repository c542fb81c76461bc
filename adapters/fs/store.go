// Package fs keeps the client's servers and tokens in its config directory:
// client.yaml (servers and the variable holding each one's token) and .env
// (the tokens), in the same formats Haloy's own client reads and writes.
package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/gofrs/flock"
	"github.com/subosito/gotenv"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// File names inside the config directory.
const (
	ClientFile = "client.yaml"
	EnvFile    = ".env"
	LocalFile  = ".env.local" // read, never written: see core.ClientState.Local
	LockFile   = ".haloy.lock"
)

// lockRetry is how often a waiting Update tries the lock again.
const lockRetry = 2 * time.Millisecond

var _ ports.ClientStore = (*Store)(nil)

// Store is the client config directory. New does no I/O: the directory is
// found on first use from the environment ($HALOY_CONFIG_DIR, else
// $XDG_CONFIG_HOME/haloy, else $HOME/.config/haloy, with %USERPROFILE% for
// $HOME when HOME is unset, as on Windows).
type Store struct {
	env   ports.Env
	notes ports.Notifier
}

// New returns the store of the config directory that env points to; notes
// receives the warning when a .env file's mode is tightened.
func New(env ports.Env, notes ports.Notifier) *Store {
	return &Store{env: env, notes: notes}
}

// Dir returns the config directory. Returns a *core.Error of Kind Missing
// when none of HALOY_CONFIG_DIR, XDG_CONFIG_HOME, HOME and USERPROFILE is set.
func (s *Store) Dir() (string, error) {
	home, hasHome := s.env.Lookup("HOME")
	if !hasHome || home == "" {
		// Windows sets USERPROFILE, not HOME (os.UserHomeDir does the same).
		home, hasHome = s.env.Lookup("USERPROFILE")
	}
	if d, ok := s.env.Lookup("HALOY_CONFIG_DIR"); ok && d != "" {
		if strings.HasPrefix(d, "~/") && hasHome && home != "" {
			d = filepath.Join(home, d[2:])
		}
		return filepath.Clean(d), nil
	}
	// Haloy's client uses ~/.config/haloy and never XDG_CONFIG_HOME: so do
	// we, so that both find the same files. $XDG_CONFIG_HOME/haloy is used
	// only where it already exists and ~/.config/haloy does not (older
	// versions of haloy wrote there). The XDG spec says to ignore a
	// relative XDG_CONFIG_HOME.
	var def string
	if hasHome && home != "" {
		def = filepath.Join(home, ".config", "haloy")
	}
	if d, ok := s.env.Lookup("XDG_CONFIG_HOME"); ok && filepath.IsAbs(d) {
		xdg := filepath.Join(d, "haloy")
		if xdg != def && isDir(xdg) && (def == "" || !exists(def)) {
			return xdg, nil
		}
	}
	if def != "" {
		return def, nil
	}
	return "", &core.Error{Kind: core.Missing, What: "cannot find haloy's config directory",
		Why: "none of HALOY_CONFIG_DIR, XDG_CONFIG_HOME, HOME and USERPROFILE is set",
		Fix: "export HALOY_CONFIG_DIR=$PWD/.haloy (or any directory of yours)"}
}

// snapshot is the state and the bytes it was read from.
type snapshot struct {
	state    core.ClientState
	yamlData []byte
	envData  []byte
	envPath  string // where .env's content lives (a symlink resolved)
}

// Load reads client.yaml, .env and .env.local (which Haloy reads over
// .env; haloy never writes it). A missing directory or file is an empty
// state. Returns a *core.Error of Kind Invalid when a file does not parse,
// and of Kind Unsafe when .env or .env.local is writable by group or
// others; one readable by them is tightened to 0600, with a warning.
func (s *Store) Load(ctx context.Context) (core.ClientState, error) {
	dir, err := s.Dir()
	if err != nil {
		return core.ClientState{}, err
	}
	snap, err := s.read(dir)
	if err != nil {
		return core.ClientState{}, err
	}
	if err := snap.state.CheckTokenEnvs(filepath.Join(dir, ClientFile)); err != nil {
		return core.ClientState{}, err
	}
	return snap.state, nil
}

// Update holds an exclusive lock on the config directory's lock file (every
// haloy process takes it), reads the state, runs fn, and writes what
// changed, each file atomically. When fn adds tokens, .env is written
// before client.yaml, and when it removes some, after: a crash between the
// two never leaves client.yaml naming a variable .env lacks.
func (s *Store) Update(ctx context.Context, fn func(*core.ClientState) error) error {
	dir, err := s.Dir()
	if err != nil {
		return err
	}
	if err := s.makeDir(dir); err != nil {
		return err
	}
	if err := checkDir(dir, "haloy's config directory"); err != nil {
		return err
	}
	// O_NOFOLLOW: a symbolic link planted as the lock file must not make
	// haloy create or open the file it points to.
	lock := flock.New(filepath.Join(dir, LockFile), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow), flock.SetPermissions(0o600))
	if _, err := lock.TryLockContext(ctx, lockRetry); err != nil {
		if li, lerr := os.Lstat(lock.Path()); lerr == nil && li.Mode()&iofs.ModeSymlink != 0 {
			return &core.Error{Kind: core.Unsafe, What: strconv.Quote(lock.Path()) + " is a symbolic link",
				Why: "haloy's lock file must be a file of its own, not a link to another file",
				Fix: "remove it: rm " + shellQuote(lock.Path()), Err: err}
		}
		return fmt.Errorf("lock %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()      //nolint:errcheck // closing the file releases the lock anyway
	info, err := lock.Stat() // fstat of the locked descriptor
	if err != nil {
		return fmt.Errorf("stat %s: %w", lock.Path(), err)
	}
	if err := checkOwner(lock.Path(), info, "file"); err != nil {
		return err
	}
	removeStaleTemps(dir)

	old, err := s.read(dir)
	if err != nil {
		return err
	}
	// fn may read Local; what it does to it is not written
	next := core.ClientState{Servers: maps.Clone(old.state.Servers), Tokens: maps.Clone(old.state.Tokens), Local: maps.Clone(old.state.Local)}
	if err := fn(&next); err != nil {
		return err
	}
	// Checked on the result, so that deleting the server a bad entry names
	// repairs the file.
	if err := next.CheckTokenEnvs(filepath.Join(dir, ClientFile)); err != nil {
		return err
	}

	envData, err := rewriteEnv(old.envData, old.state.Tokens, next.Tokens)
	if err != nil {
		return &core.Error{Kind: core.Invalid, What: "cannot store the token in " + strconv.Quote(old.envPath),
			Why: "it mixes ' with a trailing \\ or \", or with \\n, and a # or $: no dotenv quoting reads that back unchanged",
			Fix: "ask for a new token (sudo haloyadm api token prints one)", Err: err}
	}
	yamlData := old.yamlData
	if !maps.Equal(old.state.Servers, next.Servers) || old.yamlData == nil {
		if yamlData, err = encodeClient(next.Servers); err != nil {
			return fmt.Errorf("encode %s: %w", ClientFile, err)
		}
	}

	writeEnv := func() error {
		if old.envData != nil && bytes.Equal(envData, old.envData) {
			return nil
		}
		if old.envData == nil && len(envData) == 0 {
			return nil
		}
		return atomicWrite(old.envPath, envData)
	}
	writeYAML := func() error {
		if old.yamlData != nil && bytes.Equal(yamlData, old.yamlData) {
			return nil
		}
		return atomicWrite(filepath.Join(dir, ClientFile), yamlData)
	}
	first, second := writeEnv, writeYAML
	if !keepsTokens(old.state, next) {
		first, second = writeYAML, writeEnv
	}
	if err := first(); err != nil {
		return err
	}
	betweenWrites()
	return second()
}

// betweenWrites runs after the first of Update's two writes. It does
// nothing; the crash test sets it, in a child process, to stop there so
// that it can kill the child exactly between the writes.
var betweenWrites = func() {}

// keepsTokens reports whether every token that a server of old finds in
// old's .env is still in next's: then writing .env first is safe.
func keepsTokens(old, next core.ClientState) bool {
	for _, ref := range old.Servers {
		if _, had := old.Tokens[ref.TokenEnv]; !had {
			continue
		}
		if _, has := next.Tokens[ref.TokenEnv]; !has {
			return false
		}
	}
	return true
}

func (s *Store) makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &core.Error{Kind: core.Missing, What: "cannot create haloy's config directory " + strconv.Quote(dir),
			Why: err.Error(), Fix: "check the path, or export HALOY_CONFIG_DIR=<a directory of yours>", Err: err}
	}
	// MkdirAll's mode is filtered by the umask; say 0700 outright.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return nil
}

// read loads both files of dir, checking owners and modes (see readOwned).
func (s *Store) read(dir string) (snapshot, error) {
	snap := snapshot{state: core.ClientState{Servers: map[string]core.ServerRef{}, Tokens: map[string]string{}}}
	if err := checkDir(dir, "haloy's config directory"); err != nil {
		return snap, err
	}
	yamlPath := filepath.Join(dir, ClientFile)
	data, _, err := s.readOwned(yamlPath, "whoever can write it can send one server's token to another, or to a CA of theirs",
		"says which token goes to which server")
	switch {
	case errors.Is(err, iofs.ErrNotExist):
	case err != nil:
		return snap, err
	default:
		snap.yamlData = data
		servers, err := decodeClient(yamlPath, data)
		if err != nil {
			return snap, err
		}
		snap.state.Servers = servers
	}

	data, target, err := s.readOwned(filepath.Join(dir, EnvFile), "whoever can write it can swap a server's API token", "holds API tokens")
	snap.envPath = target
	switch {
	case errors.Is(err, iofs.ErrNotExist) && target != "":
	case err != nil:
		return snap, err
	default:
		snap.envData = data
		env, err := parseEnv(snap.envPath, data)
		if err != nil {
			return snap, err
		}
		snap.state.Tokens = env
	}

	// Haloy reads .env.local over .env; its variables may be tokens too
	data, target, err = s.readOwned(filepath.Join(dir, LocalFile), "whoever can write it can swap a server's API token", "may hold API tokens")
	switch {
	case errors.Is(err, iofs.ErrNotExist) && target != "":
		return snap, nil
	case err != nil:
		return snap, err
	}
	if snap.state.Local, err = parseEnv(target, data); err != nil {
		return snap, err
	}
	return snap, nil
}

// parseEnv reads the variables of the .env file at path. Returns a
// *core.Error of Kind Invalid, which never quotes the file's text, for a
// file that is not UTF-8 dotenv.
func parseEnv(path string, data []byte) (map[string]string, error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		// gotenv reads such a file as UTF-16, and the UTF-8 lines haloy
		// appends would then read back as garbage (found by FuzzEnvRewrite)
		return nil, &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path),
			Why: "it is UTF-16 text (it starts with a UTF-16 byte-order mark); haloy and Haloy read and write .env as UTF-8",
			Fix: "convert it: iconv -f UTF-16 -t UTF-8 " + shellQuote(path) + " > env.tmp && mv env.tmp " + shellQuote(path)}
	}
	env, err := gotenv.StrictParse(bytes.NewReader(data))
	if err != nil {
		// gotenv's message quotes the line, which may hold a token: say
		// where it is instead.
		return nil, &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path),
			Why: badLine(data) + " is neither NAME=value nor a # comment",
			Fix: "fix or remove that line (" + shellQuote(path) + ")"}
	}
	return env, nil
}

// checkDir refuses a directory that is not the current user's or that others
// can write (what names it in messages): they could put a .env or
// client.yaml of their own in it, swap ours by rename, or plant symbolic
// links that make haloy read or replace another file. A missing directory
// passes: it is created 0700 when needed.
func checkDir(dir, what string) error {
	if li, err := os.Lstat(dir); err == nil && li.Mode()&iofs.ModeSymlink != 0 {
		if err := checkOwner(dir, li, "symbolic link"); err != nil {
			return err
		}
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return core.NotADirectory(what, dir, "HALOY_CONFIG_DIR")
	case err != nil:
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	if !info.IsDir() {
		return core.NotADirectory(what, dir, "HALOY_CONFIG_DIR")
	}
	if err := checkOwner(dir, info, "directory"); err != nil {
		return err
	}
	if posixModes && info.Mode().Perm()&0o022 != 0 {
		return &core.Error{Kind: core.Unsafe, What: what + " " + strconv.Quote(dir) + " is writable by other users",
			Why: "its mode is " + core.OctalMode(info.Mode()) + "; whoever can write it can replace the files that hold your API tokens",
			Fix: "chmod 700 " + shellQuote(dir)}
	}
	return nil
}

// checkOwner refuses a file, directory or symbolic link (kind) that another
// user owns: they can change it, or point it at a file of ours.
func checkOwner(path string, info iofs.FileInfo, kind string) error {
	uid, ok := ownerOf(info)
	if !ok || uid == me() {
		return nil
	}
	return &core.Error{Kind: core.Unsafe, What: fmt.Sprintf("%s is a %s owned by another user (uid %d)", strconv.Quote(path), kind, uid),
		Why: fmt.Sprintf("haloy uses only files of the user it runs as (uid %d): another user could change it, or point it at a file of yours", me()),
		Fix: fmt.Sprintf("if it is yours: chown %d %s; otherwise remove it, or export HALOY_CONFIG_DIR=<a directory of yours>", me(), shellQuote(path))}
}

// maxLinks bounds a chain of symbolic links, as the kernel does.
const maxLinks = 40

// resolveOwned follows path's symbolic links, each of which must be ours,
// and returns the file they lead to, which may not exist. A link of ours
// into a folder of ours (a .env kept with other secrets) keeps working; a
// link another user owns is refused, since they could point it anywhere.
func resolveOwned(path string) (string, error) {
	for range maxLinks {
		li, err := os.Lstat(path)
		if errors.Is(err, iofs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", path, err)
		}
		if li.Mode()&iofs.ModeSymlink == 0 {
			return path, nil
		}
		if err := checkOwner(path, li, "symbolic link"); err != nil {
			return "", err
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("read link %s: %w", path, err)
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = filepath.Clean(dest)
	}
	return "", fmt.Errorf("resolve %s: more than %d symbolic links", path, maxLinks)
}

// readOwned reads the file at path (symbolic links resolved by
// resolveOwned) and returns its content and where it lives. Owner, type and
// mode are checked on the opened descriptor, not the path, so nothing can be
// swapped in between: the file must be a regular file of the current user
// that group and others cannot write (risk says why; a *core.Error of Kind
// Unsafe), and one they can read is tightened to 0600, with a warning. The
// directory holding the file must be ours and closed to others too, since
// it is where the file is replaced. A missing file returns an error
// matching iofs.ErrNotExist, with where it would live.
func (s *Store) readOwned(path, risk, holds string) ([]byte, string, error) {
	target, err := resolveOwned(path)
	if err != nil {
		return nil, "", err
	}
	if filepath.Dir(target) != filepath.Dir(path) {
		if err := checkDir(filepath.Dir(target), "the directory of "+strconv.Quote(target)+","); err != nil {
			return nil, "", err
		}
	}
	f, err := os.OpenFile(target, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, target, err
		}
		return nil, "", fmt.Errorf("open %s: %w", target, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("stat %s: %w", target, err)
	}
	if !info.Mode().IsRegular() {
		return nil, "", &core.Error{Kind: core.Unsafe, What: strconv.Quote(target) + " is not a regular file",
			Why: "haloy keeps its servers and tokens in plain files", Fix: "remove it: rm " + shellQuote(target)}
	}
	if err := checkOwner(target, info, "file"); err != nil {
		return nil, "", err
	}
	perm := info.Mode().Perm()
	if posixModes && perm&0o022 != 0 {
		return nil, "", &core.Error{Kind: core.Unsafe, What: strconv.Quote(target) + " is writable by other users",
			Why: "its mode is " + core.OctalMode(info.Mode()) + "; " + risk,
			Fix: "chmod 600 " + shellQuote(target)}
	}
	if posixModes && perm&0o044 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return nil, "", fmt.Errorf("tighten %s: %w", target, err)
		}
		s.notes.Warn(fmt.Sprintf("%s was readable by other users (mode %s); changed it to 0600, as it %s", target, core.OctalMode(info.Mode()), holds))
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", target, err)
	}
	return data, target, nil
}

// atomicWrite replaces path with data: a temporary file in the same
// directory, written, made 0600, synced, renamed over path, and the
// directory synced, so a crash leaves the old file or the new one.
func atomicWrite(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+tempSuffix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(dir)
}

const tempSuffix = ".tmp-"

// removeStaleTemps deletes temporary files a crashed writer left behind.
// It runs under the lock, so no live writer owns them.
func removeStaleTemps(dir string) {
	for _, pat := range []string{"." + "env" + tempSuffix + "*", "." + ClientFile + tempSuffix + "*"} {
		names, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, n := range names {
			os.Remove(n)
		}
	}
}

// clientFile is client.yaml: the shape Haloy reads and writes, plus ca_cert.
type clientFile struct {
	Servers map[string]serverEntry `yaml:"servers"`
}

type serverEntry struct {
	TokenEnv string `yaml:"token_env"`
	CACert   string `yaml:"ca_cert,omitempty"`
}

func decodeClient(path string, data []byte) (map[string]core.ServerRef, error) {
	var cf clientFile
	if err := yaml.UnmarshalWithOptions(data, &cf, yaml.DisallowUnknownField()); err != nil {
		why, _, _ := strings.Cut(err.Error(), "\n")
		var uf *yaml.UnknownFieldError
		isUnknown := errors.As(err, &uf)
		// judge the name the message quotes: under a tag (! key:) the
		// error's token is the tag, not the key
		if name, ok := unknownField(why); !isUnknown || !ok || len(name) > 40 || strings.Contains(name, core.APITokenPrefix) {
			why = hideContent(why, data) // a misplaced token must not be printed
		}
		fix := "fix the file: it holds servers: {<server>: {token_env: <VARIABLE>}}"
		// the suggestion quotes a known key, never what the file holds
		if cl := ""; isUnknown {
			if cl = core.Closest(uf.Token.Value, []string{"servers", "token_env", "ca_cert"}); cl != "" {
				fix = "did you mean " + strconv.Quote(cl) + "? " + fix
			}
		}
		return nil, &core.Error{Kind: core.Invalid, What: "cannot read " + strconv.Quote(path), Why: why,
			Fix: fix, Err: err}
	}
	out := make(map[string]core.ServerRef, len(cf.Servers))
	for name, e := range cf.Servers {
		out[name] = core.ServerRef{TokenEnv: e.TokenEnv, CACert: e.CACert}
	}
	return out, nil
}

// unknownField returns the field name goccy's message quotes, as in
// `[1:1] unknown field "sevrers"`, and whether it quotes exactly one.
func unknownField(msg string) (string, bool) {
	_, rest, ok := strings.Cut(msg, `unknown field "`)
	if !ok {
		return "", false
	}
	name, tail, ok := strings.Cut(rest, `"`)
	return name, ok && !strings.Contains(tail, `"`)
}

// hideContent returns the YAML library's message, unless it repeats 12 or
// more characters of the file (an alias name, a value, a key that looks
// like a token): then only its position, "[line:column]", and a message
// that quotes nothing.
func hideContent(msg string, data []byte) string {
	for i := 0; i+12 <= len(msg); i++ {
		if bytes.Contains(data, []byte(msg[i:i+12])) {
			if pos, _, ok := strings.Cut(msg, " "); ok && strings.HasPrefix(pos, "[") && strings.HasSuffix(pos, "]") {
				return pos + " invalid YAML here"
			}
			return "invalid YAML"
		}
	}
	return msg
}

func encodeClient(servers map[string]core.ServerRef) ([]byte, error) {
	cf := clientFile{Servers: make(map[string]serverEntry, len(servers))}
	for name, ref := range servers {
		cf.Servers[name] = serverEntry{TokenEnv: ref.TokenEnv, CACert: ref.CACert}
	}
	return yaml.Marshal(cf)
}

// shellQuote quotes p for a command the user pastes.
func shellQuote(p string) string {
	for i := 0; i < len(p); i++ {
		if !bareSafe(p[i]) {
			return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return p
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
