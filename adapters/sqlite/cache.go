package sqlite

import (
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// cacheMax bounds the token cache. Only tokens that were found and not
// revoked are kept, so a stranger cannot fill it; past this many the cache
// simply stops growing and the rest are looked up in the database.
const cacheMax = 4096

// tokenCache keeps the records of valid tokens found by Lookup, by hash
// (never a token), in front of SQLite. It is only ever as fresh as its
// watch says. Every get and put first
//
//   - drains, without blocking, the change events the kernel queued for the
//     data directory (any event empties the cache: a file created, deleted,
//     renamed, written), and
//   - reads the WAL index header, which every commit rewrites as its last
//     step, when it becomes visible to readers; a header other than the
//     one the cache was filled under empties the cache.
//
// A writer's commit (and so 'haloyadm api token revoke') returns only
// after it rewrote the header; a request that starts after that reads the
// new header and queries the database. A put carries the generation its
// get saw, and is dropped if anything changed in between, so a record read
// before a change is never stored after it. (inotify alone is not enough:
// it reports the write of the WAL before the commit is visible, and a
// reader may drain that event, read the old row, and keep it.)
//
// A cache whose watch failed (or that was never given one) is off: get
// always misses and put stores nothing.
//
// The watch also spares Lookup a stat of the database file per request
// (the check that it was not removed or replaced, Store.stillThere): a
// rename over the file or its removal is an event in the directory, so the
// file needs a stat only after an event (events counts them; fileOK is the
// count a stat confirmed), at least every restatEvery (a directory above
// the data directory renamed raises no event here), and always when the
// cache is off.
type tokenCache struct {
	mu   sync.Mutex
	w    watch // nil when off
	gen  uint64
	ver  walVersion // the header the entries were read under
	recs map[core.TokenHash]core.TokenRecord

	events uint64    // changes the watch reported (or its end)
	fileOK uint64    // events seen before the last stat that found the file in place
	statAt time.Time // when that stat was
}

// restatEvery bounds how long Lookup goes without a stat of the database
// file when no event came.
const restatEvery = time.Second

// fileCheck says whether a lookup must stat the database file, and what to
// hand to checked once the file was found in place.
type fileCheck struct {
	needed bool
	events uint64
	at     time.Time
}

// walVersion is the WAL index header: both copies, 48 bytes each, with the
// commit counter, the last frame, the salts and a checksum.
type walVersion [96]byte

// watch reports whether anything changed in the watched directory since
// its last call (changed), or that it can no longer tell (broken).
type watch interface {
	drain() (changed, broken bool)
	// version returns the database's current WAL index header, or false
	// when it cannot be read (then nothing is cached)
	version() (walVersion, bool)
	close() error
}

func newTokenCache(w watch) *tokenCache {
	return &tokenCache{w: w, recs: map[core.TokenHash]core.TokenRecord{}}
}

// sync drains the watch, emptying the cache on any change; it reports
// whether the cache may be used. Called with mu held.
func (c *tokenCache) sync() bool {
	if c.w == nil {
		return false
	}
	changed, broken := c.w.drain()
	if changed || broken {
		c.gen++
		c.events++
		clear(c.recs)
	}
	if broken {
		c.w.close()
		c.w = nil
		return false
	}
	v, ok := c.w.version()
	if !ok {
		c.gen++
		clear(c.recs)
		return false
	}
	if v != c.ver {
		c.gen++
		clear(c.recs)
		c.ver = v
	}
	return true
}

// get returns h's cached record, the generation to hand to put, and
// whether the database file must be checked before anything is answered.
func (c *tokenCache) get(h core.TokenHash, now time.Time) (rec core.TokenRecord, ok bool, gen uint64, fc fileCheck) {
	c.mu.Lock()
	defer c.mu.Unlock()
	on := c.sync()
	fc = fileCheck{needed: !on || c.events != c.fileOK || now.Sub(c.statAt) >= restatEvery || now.Before(c.statAt),
		events: c.events, at: now}
	if !on {
		return core.TokenRecord{}, false, c.gen, fc
	}
	rec, ok = c.recs[h]
	return rec, ok, c.gen, fc
}

// checked records that a stat made after the get that returned fc found
// the database file in place.
func (c *tokenCache) checked(fc fileCheck) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fc.events >= c.fileOK && fc.events <= c.events {
		c.fileOK = fc.events
		c.statAt = fc.at
	}
}

// put stores rec under h, unless something changed since the get that
// returned gen, or the cache is full or off.
func (c *tokenCache) put(h core.TokenHash, rec core.TokenRecord, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sync() || gen != c.gen || len(c.recs) >= cacheMax {
		return
	}
	c.recs[h] = rec
}

// invalidate empties the cache (after a write through this store).
func (c *tokenCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.recs)
}

// close stops the watch; the cache is off afterwards.
func (c *tokenCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.recs)
	if c.w == nil {
		return nil
	}
	err := c.w.close()
	c.w = nil
	return err
}

func closeWatch(w watch) {
	if w != nil {
		w.close()
	}
}
