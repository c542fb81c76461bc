// Package serverconfig keeps haloyadm's configuration file, haloyadm.yaml,
// in its config directory ($HALOY_CONFIG_DIR, default /etc/haloy), decoded
// strictly with goccy/go-yaml.
package serverconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/goccy/go-yaml"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.ServerConfig = (*File)(nil)

// FileName is the configuration file's name in the config directory.
const FileName = "haloyadm.yaml"

// File is the configuration file. New does no I/O; the directory is
// resolved on each call.
type File struct{ env ports.Env }

// New returns the configuration file in $HALOY_CONFIG_DIR, or /etc/haloy.
func New(env ports.Env) *File { return &File{env: env} }

// Path returns the configuration file's path.
func (f *File) Path() string {
	dir, ok := f.env.Lookup(core.ServerConfigDirEnv)
	if !ok || dir == "" {
		dir = core.DefaultServerConfigDir
	}
	home, _ := f.env.Lookup("HOME")
	return filepath.Join(core.ExpandHome(dir, home), FileName)
}

// Load reads the configuration.
func (f *File) Load(_ context.Context) (core.ServerSettings, error) {
	path := f.Path()
	if err := checkFiles(filepath.Dir(path), path); err != nil {
		return core.ServerSettings{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return core.ServerSettings{}, core.ServerNotInitialized(path)
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return core.ServerSettings{}, core.NotADirectory("haloyadm's config directory", filepath.Dir(path), core.ServerConfigDirEnv)
	}
	if err != nil {
		return core.ServerSettings{}, &core.Error{Kind: core.Unavailable, What: "cannot read " + strconv.Quote(path),
			Why: err.Error(), Fix: "run haloyadm as root (sudo), or set " + core.ServerConfigDirEnv + " to a directory you own", Err: err}
	}
	var s core.ServerSettings
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(&s); err != nil && !isEmpty(b) {
		return core.ServerSettings{}, &core.Error{Kind: core.Invalid, What: "invalid config file " + strconv.Quote(path),
			Why: yaml.FormatError(err, false, true), Fix: "fix the file, or remove it and run 'haloyadm init --api-domain <domain>'", Err: err}
	}
	return s, nil
}

// isEmpty reports whether b holds nothing but blank lines and comments.
func isEmpty(b []byte) bool {
	for _, l := range bytes.Split(b, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

// Save creates the config directory (0700) and writes the configuration
// atomically (0600).
func (f *File) Save(_ context.Context, s core.ServerSettings) error {
	path := f.Path()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); errors.Is(err, syscall.ENOTDIR) {
		return core.NotADirectory("haloyadm's config directory", dir, core.ServerConfigDirEnv)
	} else if err != nil {
		return &core.Error{Kind: core.Unavailable, What: "cannot create config directory " + strconv.Quote(dir),
			Why: err.Error(), Fix: "run haloyadm as root (sudo), or set " + core.ServerConfigDirEnv + " to a directory you own", Err: err}
	}
	if err := checkFiles(dir, path); err != nil {
		return err
	}
	body := []byte("# api_domain: api.example.com  (the domain clients reach the API on; set it with: haloyadm init --api-domain <domain>)\n")
	if s != (core.ServerSettings{}) {
		var err error
		if body, err = yaml.Marshal(s); err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
	}
	body = append([]byte("# haloyadm configuration; written by 'haloyadm init'.\n"), body...)
	tmp, err := os.CreateTemp(dir, "."+FileName+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
