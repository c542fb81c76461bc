package ports

import (
	"context"
	"errors"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// TokenStore keeps haloyadm's API tokens: names, times and hashes, never a
// token itself. Changes made through one store are seen at once by every
// other store on the same data, in this process or another.
type TokenStore interface {
	// Create records a new token and returns it with its id. Returns a
	// *core.Error of Kind Conflict if the name or the hash is taken.
	Create(ctx context.Context, t core.NewTokenRecord) (core.TokenRecord, error)
	// List returns every token, revoked and expired ones included, oldest first.
	List(ctx context.Context) ([]core.TokenRecord, error)
	// Revoke marks the token whose decimal id or name is ref as revoked at
	// at by by (kept as RevokedBy), and returns it. A name revokes its
	// current token and every token it replaced in a rotation, so that none
	// of that name still works; the current one is returned. Revoking a
	// revoked token keeps its first revocation time and actor. Returns a
	// *core.Error of Kind NotFound, listing the known names, if no token
	// matches.
	Revoke(ctx context.Context, ref string, at time.Time, by string) (core.TokenRecord, error)
	// Rotate replaces the current token id, atomically: it records succ
	// (its Hash, CreatedAt, ExpiresAt and CreatedBy; the name and grant are
	// id's own), marks id as replaced by it, and shortens id's life to
	// graceUntil if it would live longer. It returns the successor. Returns a *core.Error of
	// Kind NotFound for an unknown id, and of Kind Conflict if id was
	// already replaced, or is revoked or expired at succ.CreatedAt.
	Rotate(ctx context.Context, id int64, succ core.NewTokenRecord, graceUntil time.Time) (core.TokenRecord, error)
	// Prune deletes, at once, every token that ended before endedBefore
	// (revoked or expired strictly before it: core.TokenRecord.EndedBefore)
	// and returns them as they were, oldest first; none is an empty slice.
	// A token neither revoked nor expiring is never pruned, and one that
	// had not ended by endedBefore stays, so a cut-off in the past never
	// removes a token that still works. A pruned token's hash is no longer
	// found and its name is free again; deployments recorded under it keep
	// its id and name. Returns a *core.Error of Kind Unavailable on a full
	// disk, deleting nothing.
	Prune(ctx context.Context, endedBefore time.Time) ([]core.TokenRecord, error)
}

// TokenAdmin makes, rotates, revokes and lists tokens for whoever asks:
// the token API for an admin token, a token replacing or revoking itself,
// or an OIDC exchange. Each change is written to the log with who asked.
type TokenAdmin interface {
	// Mint creates a token as req says. Returns a *core.Error of Kind
	// Invalid for a bad name, of Kind Conflict for a taken name, and of
	// Kind Unauthorized when req.Limit does not cover the grant asked for.
	Mint(ctx context.Context, req core.MintRequest) (core.Minted, error)
	// Rotate replaces old, the caller's own valid token, with a successor
	// of the same name, grant and lifetime, and shortens old's life to the
	// grace period. It returns the successor and old as it now is. Returns
	// a *core.Error of Kind Conflict if old was already replaced.
	Rotate(ctx context.Context, old core.TokenRecord) (succ core.Minted, now core.TokenRecord, err error)
	// Revoke revokes the token whose id or name is req.Ref (as
	// TokenStore.Revoke does), for req.By, and reports whether it already
	// was. Returns a *core.Error of Kind NotFound if req.Ref names no token
	// (listing only the names req.Limit may see), and of Kind Unauthorized,
	// revoking nothing, if it names a token req.Limit does not cover.
	Revoke(ctx context.Context, req core.RevokeRequest) (rec core.TokenRecord, already bool, err error)
	// List returns the tokens whose grant limit covers, oldest first; a nil
	// limit lists every token.
	List(ctx context.Context, limit *core.TokenGrant) ([]core.TokenRecord, error)
}

// ErrStoreGone means the token store's file was removed or replaced while
// it was open: connections opened before and after would disagree about
// which tokens are valid, so the store refuses to answer from then on.
var ErrStoreGone = errors.New("token store removed or replaced while open")

// TokenVerifier finds the token behind a request. Lookup by hash costs the
// same however many tokens there are.
type TokenVerifier interface {
	// Lookup returns the token whose hash is h, whatever its status, and
	// false if there is none. Returns an error wrapping ErrStoreGone, for
	// this and every later call, once the store's file was removed or
	// replaced under it: the caller must refuse every token.
	Lookup(ctx context.Context, h core.TokenHash) (core.TokenRecord, bool, error)
	// Touch records that the token id was used at at. It writes only if the
	// recorded last use is older than core.TouchInterval, so that many
	// servers or requests never write more than once a minute per token.
	Touch(ctx context.Context, id int64, at time.Time) error
}

// DeploymentLog records the deployments the API accepted.
type DeploymentLog interface {
	// Record stores rec. Returns a *core.Error of Kind Conflict if a
	// deployment with the same id is already recorded.
	Record(ctx context.Context, rec core.DeploymentRecord) error
	// History returns app's deployments, newest first; none is an empty
	// slice, not an error.
	History(ctx context.Context, app string) ([]core.DeploymentRecord, error)
	// Find returns the deployment with id, and false if none is recorded.
	Find(ctx context.Context, id string) (core.DeploymentRecord, bool, error)
}

// ServerConfig keeps haloyadm's configuration file in its config directory.
type ServerConfig interface {
	// Load reads the configuration. Returns a *core.Error of Kind Missing if
	// haloyadm was never initialized, and of Kind Invalid if the file does
	// not parse.
	Load(ctx context.Context) (core.ServerSettings, error)
	// Save creates the config directory (mode 0700) if needed and writes
	// the configuration atomically (mode 0600).
	Save(ctx context.Context, s core.ServerSettings) error
}

// APIServer serves the HTTP API until its context ends.
type APIServer interface {
	// Serve listens on opts.Listen, calls ready with the address actually
	// bound (useful with port 0), and serves until ctx ends, then shuts
	// down gracefully. Returns a *core.Error of Kind Unavailable if it
	// cannot listen, and of Kind Invalid if the TLS files do not load.
	Serve(ctx context.Context, opts core.ServeOptions, ready func(addr string)) error
}
