package memory

import (
	"context"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.ServerConfig = (*ServerConfig)(nil)

// ServerConfig is the twin of haloyadm's config file. The zero value is a
// server that was never initialized.
type ServerConfig struct {
	mu sync.Mutex
	// Settings is the file's content; nil when there is no file.
	Settings *core.ServerSettings
}

// ServerConfigPath is the path the twin's errors name.
const ServerConfigPath = "/etc/haloy/haloyadm.yaml"

// Load returns the settings, or the "not initialized" error.
func (c *ServerConfig) Load(context.Context) (core.ServerSettings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Settings == nil {
		return core.ServerSettings{}, core.ServerNotInitialized(ServerConfigPath)
	}
	return *c.Settings, nil
}

// Save stores s.
func (c *ServerConfig) Save(_ context.Context, s core.ServerSettings) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Settings = &s
	return nil
}
