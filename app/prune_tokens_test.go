package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func (w *adminWorld) pruneTokens() *PruneTokens {
	uc := NewPruneTokens(w.config, w.tokens, w.notes, w.env)
	uc.now = w.clock
	return uc
}

// pruneFixture fills w with seven tokens made 100 days before adminT0 that
// ended at various times, or not at all.
func pruneFixture(t *testing.T, w *adminWorld) {
	t.Helper()
	ctx := context.Background()
	day := 24 * time.Hour
	made := adminT0.Add(-100 * day)
	mk := func(name string, expires time.Time) core.TokenRecord {
		rec, err := w.tokens.Create(ctx, core.NewTokenRecord{Name: name, Hash: core.HashAPIToken("haloy_" + name), CreatedAt: made, ExpiresAt: expires, CreatedBy: "haloyadm (bob)"})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	mk("old-ci", adminT0.Add(-40*day))
	mk("recent", adminT0.Add(-10*day))
	mk("laptop", time.Time{})
	mk("gone", time.Time{})
	mk("active", adminT0.Add(10*day))
	ci := mk("ci", adminT0.Add(90*day))
	if _, err := w.tokens.Revoke(ctx, "gone", adminT0.Add(-31*day), "haloyadm (bob)"); err != nil {
		t.Fatal(err)
	}
	// rotated 50 days ago: the old one's grace ended then, the new one works
	at := adminT0.Add(-50 * day)
	if _, err := w.tokens.Rotate(ctx, ci.ID, core.NewTokenRecord{Hash: core.HashAPIToken("haloy_ci-2"), CreatedAt: at, ExpiresAt: at.Add(90 * day)}, at.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

type prunedToken struct {
	Name   string
	ID     int64
	Status core.TokenStatus
}

func prunedOf(p PrunedTokens) []prunedToken {
	var out []prunedToken
	for _, t := range p.Tokens {
		out = append(out, prunedToken{t.Name, t.ID, t.Status})
	}
	return out
}

func TestPruneTokens(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		in         PruneTokensInput
		wantBefore time.Time
		want       []prunedToken
		wantLeft   []string
		wantInfos  []string
	}{
		{
			name: "default_keeps_a_month", in: PruneTokensInput{}, wantBefore: adminT0.Add(-30 * day),
			want:      []prunedToken{{"old-ci", 1, core.TokenExpired}, {"gone", 4, core.TokenRevoked}, {"ci", 6, core.TokenExpired}},
			wantLeft:  []string{"recent", "laptop", "active", "ci"},
			wantInfos: []string{`tokens pruned by haloyadm (alice): 3 that ended before 2026-10-28T03:00:00Z: "old-ci" (id 1), "gone" (id 4), "ci" (id 6)`},
		},
		{
			name: "days", in: PruneTokensInput{OlderThan: "45d"}, wantBefore: adminT0.Add(-45 * day),
			want:      []prunedToken{{"ci", 6, core.TokenExpired}},
			wantLeft:  []string{"old-ci", "recent", "laptop", "gone", "active", "ci"},
			wantInfos: []string{`tokens pruned by haloyadm (alice): 1 that ended before 2026-10-13T03:00:00Z: "ci" (id 6)`},
		},
		{
			name: "hours", in: PruneTokensInput{OlderThan: "12h"}, wantBefore: adminT0.Add(-12 * time.Hour),
			want:      []prunedToken{{"old-ci", 1, core.TokenExpired}, {"recent", 2, core.TokenExpired}, {"gone", 4, core.TokenRevoked}, {"ci", 6, core.TokenExpired}},
			wantLeft:  []string{"laptop", "active", "ci"},
			wantInfos: []string{`tokens pruned by haloyadm (alice): 4 that ended before 2026-11-26T15:00:00Z: "old-ci" (id 1), "recent" (id 2), "gone" (id 4), "ci" (id 6)`},
		},
		{
			name: "nothing", in: PruneTokensInput{OlderThan: "60d"}, wantBefore: adminT0.Add(-60 * day),
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "active", "ci", "ci"},
		},
		{
			// lists what would go, deletes nothing, logs nothing
			name: "dry_run", in: PruneTokensInput{DryRun: true}, wantBefore: adminT0.Add(-30 * day),
			want:     []prunedToken{{"old-ci", 1, core.TokenExpired}, {"gone", 4, core.TokenRevoked}, {"ci", 6, core.TokenExpired}},
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "active", "ci", "ci"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(true)
			pruneFixture(t, w)
			got, err := w.pruneTokens().Run(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Before.Equal(tt.wantBefore) {
				t.Errorf("Run(%+v).Before = %v, want %v", tt.in, got.Before, tt.wantBefore)
			}
			if diff := cmp.Diff(tt.want, prunedOf(got)); diff != "" {
				t.Errorf("Run(%+v) tokens mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got.Tokens == nil {
				t.Errorf("Run(%+v).Tokens = nil, want a slice", tt.in)
			}
			if diff := cmp.Diff(tt.wantLeft, w.names(t)); diff != "" {
				t.Errorf("tokens left after Run(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.wantInfos, w.notes.Infos); diff != "" {
				t.Errorf("log of Run(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// Bad input and a server never initialized change nothing; the age is
// checked first, so that a typo is reported as such anywhere.
func TestPruneTokensRefused(t *testing.T) {
	tests := []struct {
		name        string
		initialized bool
		olderThan   string
		wantKind    core.Kind
	}{
		{"zero", true, "0", core.Invalid},
		{"negative", true, "-1h", core.Invalid},
		{"minutes", true, "30m", core.Invalid},
		{"unparseable", true, "a month", core.Invalid},
		{"weeks", true, "2w", core.Invalid},
		{"bad_and_not_initialized", false, "0d", core.Invalid},
		{"not_initialized", false, "30d", core.Missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAdminWorld(tt.initialized)
			pruneFixture(t, w)
			got, err := w.pruneTokens().Run(context.Background(), PruneTokensInput{OlderThan: tt.olderThan})
			if k := adminKind(err); k != tt.wantKind {
				t.Errorf("Run(%q) = %+v, %v, want Kind %v", tt.olderThan, got, err, tt.wantKind)
			}
			if n := len(w.names(t)); n != 7 || len(w.notes.Infos) != 0 {
				t.Errorf("Run(%q) left %d of 7 tokens and logged %q, want all and nothing", tt.olderThan, n, w.notes.Infos)
			}
		})
	}
}

// The log names the first ten tokens and counts the rest: a year of CI
// runs is one line, not 18,000 names.
func TestPruneTokensLogLine(t *testing.T) {
	names := func(n int) string {
		var s string
		for i := range n {
			if i > 0 {
				s += ", "
			}
			s += fmt.Sprintf(`"gh-run%d" (id %d)`, i, i+1)
		}
		return s
	}
	tests := []struct {
		n    int
		want string
	}{
		{10, names(10)},
		{13, names(10) + " and 3 more"},
	}
	for _, tt := range tests {
		w := newAdminWorld(true)
		ctx := context.Background()
		for i := range tt.n {
			name := fmt.Sprintf("gh-run%d", i)
			if _, err := w.tokens.Create(ctx, core.NewTokenRecord{Name: name, Hash: core.HashAPIToken("haloy_" + name), CreatedAt: adminT0.Add(-40 * 24 * time.Hour),
				ExpiresAt: adminT0.Add(-40*24*time.Hour + 15*time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.pruneTokens().Run(ctx, PruneTokensInput{})
		if err != nil || len(got.Tokens) != tt.n {
			t.Fatalf("Run() = %d tokens, %v, want %d", len(got.Tokens), err, tt.n)
		}
		want := []string{fmt.Sprintf("tokens pruned by haloyadm (alice): %d that ended before 2026-10-28T03:00:00Z: %s", tt.n, tt.want)}
		if diff := cmp.Diff(want, w.notes.Infos); diff != "" {
			t.Errorf("log of %d pruned mismatch (-want +got):\n%s", tt.n, diff)
		}
	}
}
