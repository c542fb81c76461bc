package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.TrustStore = (*Store)(nil)

// trustSchema holds the trust policies (their conditions and grant as one
// JSON body; the pinned ids in their own columns, so that pinning is one
// conditional UPDATE) and the identity tokens already exchanged, by a hash
// of issuer and jti.
const trustSchema = `
CREATE TABLE IF NOT EXISTS trust_policies (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	body          TEXT    NOT NULL,
	repository_id TEXT,
	owner_id      TEXT,
	created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_used (
	key   BLOB    PRIMARY KEY,
	until INTEGER NOT NULL
) WITHOUT ROWID;
`

// policyBody is a policy's stored JSON: every field but the id, the pins
// and the creation time.
type policyBody struct {
	Provider    core.TrustProvider `json:"provider"`
	Issuer      string             `json:"issuer"`
	Audience    string             `json:"audience,omitempty"`
	Repository  string             `json:"repository,omitempty"`
	Ref         string             `json:"ref,omitempty"`
	Environment string             `json:"environment,omitempty"`
	Workflow    string             `json:"workflow,omitempty"`
	Claims      map[string]string  `json:"claims,omitempty"`
	Apps        []string           `json:"apps"`
	Scopes      []core.Scope       `json:"scopes"`
	TTLSeconds  int64              `json:"ttl_seconds"`
}

const policyCols = `id, body, repository_id, owner_id, created_at`

func scanPolicy(r scanner) (core.TrustPolicy, error) {
	var (
		p           core.TrustPolicy
		body        string
		repo, owner sql.NullString
		created     int64
	)
	if err := r.Scan(&p.ID, &body, &repo, &owner, &created); err != nil {
		return p, err
	}
	var b policyBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return p, fmt.Errorf("trust policy %d: %w", p.ID, err)
	}
	p.Provider, p.Issuer, p.Audience, p.Repository = b.Provider, b.Issuer, b.Audience, b.Repository
	p.Ref, p.Environment, p.Workflow, p.Claims = b.Ref, b.Environment, b.Workflow, b.Claims
	p.Apps, p.Scopes, p.TTL = b.Apps, b.Scopes, time.Duration(b.TTLSeconds)*time.Second
	p.RepositoryID, p.OwnerID = repo.String, owner.String
	p.CreatedAt = time.Unix(0, created).UTC()
	return p, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// AddPolicy records p.
func (s *Store) AddPolicy(ctx context.Context, p core.TrustPolicy) (core.TrustPolicy, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TrustPolicy{}, err
	}
	body, err := json.Marshal(policyBody{Provider: p.Provider, Issuer: p.Issuer, Audience: p.Audience, Repository: p.Repository,
		Ref: p.Ref, Environment: p.Environment, Workflow: p.Workflow, Claims: p.Claims, Apps: p.Apps, Scopes: p.Scopes,
		TTLSeconds: int64(p.TTL / time.Second)})
	if err != nil {
		return core.TrustPolicy{}, fmt.Errorf("encode trust policy: %w", err)
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	row := db.QueryRowContext(ctx, `INSERT INTO trust_policies (body, repository_id, owner_id, created_at) VALUES (?, ?, ?, ?) RETURNING `+policyCols,
		string(body), nullString(p.RepositoryID), nullString(p.OwnerID), created.UnixNano())
	out, err := scanPolicy(row)
	if err != nil {
		return core.TrustPolicy{}, fmt.Errorf("add trust policy: %w", err)
	}
	return out, nil
}

// Policies returns every policy, oldest first. It reads the database each
// time: an exchange sees the policies as they are now.
func (s *Store) Policies(ctx context.Context) ([]core.TrustPolicy, error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+policyCols+` FROM trust_policies ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list trust policies: %w", err)
	}
	defer rows.Close()
	out := []core.TrustPolicy{}
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("list trust policies: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list trust policies: %w", err)
	}
	return out, nil
}

func (s *Store) unknownPolicy(ctx context.Context, id int64) error {
	ps, err := s.Policies(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return core.UnknownPolicy(id, ids)
}

// RemovePolicy deletes policy id.
func (s *Store) RemovePolicy(ctx context.Context, id int64) (core.TrustPolicy, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TrustPolicy{}, err
	}
	p, err := scanPolicy(db.QueryRowContext(ctx, `DELETE FROM trust_policies WHERE id = ? RETURNING `+policyCols, id))
	if errors.Is(err, sql.ErrNoRows) {
		return core.TrustPolicy{}, s.unknownPolicy(ctx, id)
	}
	if err != nil {
		return core.TrustPolicy{}, fmt.Errorf("remove trust policy %d: %w", id, err)
	}
	return p, nil
}

// PinPolicy records ids where policy id has none yet.
func (s *Store) PinPolicy(ctx context.Context, id int64, repoID, ownerID string) (core.TrustPolicy, error) {
	db, err := s.open(ctx)
	if err != nil {
		return core.TrustPolicy{}, err
	}
	p, err := scanPolicy(db.QueryRowContext(ctx, `UPDATE trust_policies SET
		repository_id = COALESCE(repository_id, ?), owner_id = COALESCE(owner_id, ?)
		WHERE id = ? RETURNING `+policyCols, nullString(repoID), nullString(ownerID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return core.TrustPolicy{}, s.unknownPolicy(ctx, id)
	}
	if err != nil {
		return core.TrustPolicy{}, fmt.Errorf("pin trust policy %d: %w", id, err)
	}
	return p, nil
}

// UseOnce records the exchange of issuer's token jti until until.
func (s *Store) UseOnce(ctx context.Context, issuer, jti string, until, now time.Time) (bool, error) {
	db, err := s.open(ctx)
	if err != nil {
		return false, err
	}
	key := sha256.Sum256([]byte(issuer + "\x00" + jti))
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): one writer at a time
	if err != nil {
		return false, fmt.Errorf("record identity token use: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_used WHERE until <= ?`, now.UnixNano()); err != nil {
		return false, fmt.Errorf("record identity token use: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO oidc_used (key, until) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key[:], until.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record identity token use: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record identity token use: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record identity token use: %w", err)
	}
	return n == 1, nil
}
