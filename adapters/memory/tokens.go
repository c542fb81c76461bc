package memory

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var (
	_ ports.TokenStore    = (*Tokens)(nil)
	_ ports.TokenVerifier = (*Tokens)(nil)
)

// Tokens is the twin of the SQLite token store. Share one value between
// use cases to play two processes sharing a database. The zero value is an
// empty store.
type Tokens struct {
	mu     sync.Mutex
	recs   []core.TokenRecord
	hashes []core.TokenHash
	// last is the last id given: ids are never reused, as SQLite's
	// AUTOINCREMENT never reuses the id of a pruned token
	last int64
	// Writes counts the writes of last use that Touch made.
	Writes int
}

// utc drops the monotonic reading and the location, as a database does.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// Create records a new token.
func (s *Tokens) Create(_ context.Context, t core.NewTokenRecord) (core.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.recs {
		if r.Name == t.Name && r.ReplacedBy == 0 {
			return core.TokenRecord{}, core.TokenNameTaken(t.Name)
		}
		if s.hashes[i] == t.Hash {
			return core.TokenRecord{}, &core.Error{Kind: core.Conflict, What: "a token with this hash already exists",
				Why: "two tokens drew the same random bytes, which should never happen", Fix: "run the command again"}
		}
	}
	s.last++
	rec := core.TokenRecord{ID: s.last, Name: t.Name, CreatedAt: utc(t.CreatedAt), ExpiresAt: utc(t.ExpiresAt), Grant: t.Grant, CreatedBy: t.CreatedBy}
	s.recs = append(s.recs, rec)
	s.hashes = append(s.hashes, t.Hash)
	return rec, nil
}

// Rotate replaces the current token id with a successor.
func (s *Tokens) Rotate(_ context.Context, id int64, succ core.NewTokenRecord, graceUntil time.Time) (core.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.recs, func(r core.TokenRecord) bool { return r.ID == id })
	if i < 0 {
		return core.TokenRecord{}, core.UnknownToken(strconv.FormatInt(id, 10), nil)
	}
	old := s.recs[i]
	if err := core.CheckRotatable(old, succ.CreatedAt); err != nil {
		return core.TokenRecord{}, err
	}
	for _, h := range s.hashes {
		if h == succ.Hash {
			return core.TokenRecord{}, &core.Error{Kind: core.Conflict, What: "a token with this hash already exists",
				Why: "two tokens drew the same random bytes, which should never happen", Fix: "run the command again"}
		}
	}
	s.last++
	rec := core.TokenRecord{ID: s.last, Name: old.Name, CreatedAt: utc(succ.CreatedAt), ExpiresAt: utc(succ.ExpiresAt), Grant: old.Grant, CreatedBy: succ.CreatedBy}
	s.recs = append(s.recs, rec)
	s.hashes = append(s.hashes, succ.Hash)
	s.recs[i].ReplacedBy = rec.ID
	if old.ExpiresAt.IsZero() || old.ExpiresAt.After(graceUntil) {
		s.recs[i].ExpiresAt = utc(graceUntil)
	}
	return rec, nil
}

// List returns every token, oldest first.
func (s *Tokens) List(context.Context) ([]core.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.TokenRecord{}, s.recs...), nil
}

// Revoke marks the token with id or name ref as revoked by by.
func (s *Tokens) Revoke(_ context.Context, ref string, at time.Time, by string) (core.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, idErr := strconv.ParseInt(ref, 10, 64)
	found := -1
	for i, r := range s.recs {
		if (idErr == nil && r.ID == id) || (idErr != nil && r.Name == ref) {
			if r.RevokedAt.IsZero() {
				s.recs[i].RevokedAt, s.recs[i].RevokedBy = utc(at), by
			}
			// the current token of the name, else the newest
			if found < 0 || s.recs[found].ReplacedBy != 0 {
				found = i
			}
		}
	}
	if found < 0 {
		return core.TokenRecord{}, core.UnknownToken(ref, s.recs)
	}
	return s.recs[found], nil
}

// Prune deletes the tokens that ended before endedBefore.
func (s *Tokens) Prune(_ context.Context, endedBefore time.Time) ([]core.TokenRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []core.TokenRecord{}
	recs, hashes := s.recs[:0:0], s.hashes[:0:0]
	for i, r := range s.recs {
		if r.EndedBefore(endedBefore) {
			out = append(out, r)
			continue
		}
		recs, hashes = append(recs, r), append(hashes, s.hashes[i])
	}
	s.recs, s.hashes = recs, hashes
	return out, nil
}

// Lookup finds a token by hash.
func (s *Tokens) Lookup(_ context.Context, h core.TokenHash) (core.TokenRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.hashes {
		if x == h {
			return s.recs[i], true, nil
		}
	}
	return core.TokenRecord{}, false, nil
}

// Touch records a use of token id, at most once per core.TouchInterval.
func (s *Tokens) Touch(_ context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.recs {
		if r.ID == id && (r.LastUsedAt.IsZero() || !r.LastUsedAt.After(at.Add(-core.TouchInterval))) {
			s.recs[i].LastUsedAt = utc(at)
			s.Writes++
		}
	}
	return nil
}
