package sqlite

import "github.com/haloy-auth/haloy/ports"

// NewUncached returns a Store that never caches, as on a system without
// inotify.
func NewUncached(env ports.Env) *Store { return &Store{env: env, noCache: true} }

// CacheLen returns how many tokens the cache holds (0 when off or closed).
func (s *Store) CacheLen() int {
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}

// SetKeepPerApp lowers the deployments kept per app, so that retention can
// be tested without a thousand commits.
func (s *Store) SetKeepPerApp(n int) { s.keepPerApp = n }

// FileStats returns how many times the store checked that its database
// file is still in place.
func (s *Store) FileStats() int64 { return s.stats.Load() }
