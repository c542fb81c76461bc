package app

import (
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// The expiry warning rounds as people read it and names where the token
// came from (issue 16: a token from .env.staging got the client store's
// fix, and --expires 10d made seconds ago read "in 9 days").
func TestExpiryNote(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	staging := core.Endpoint{Server: "staging.haloy.com",
		TokenFix: "export STAGING_TOKEN=<new-token>, or put STAGING_TOKEN=<new-token> in .env beside haloy.yaml"}
	store := core.Endpoint{Server: "prod.haloy.com"}
	tests := []struct {
		name string
		ep   core.Endpoint
		left time.Duration
		want string
	}{
		{"ten_days_minus_seconds", store, 10*24*time.Hour - 5*time.Second,
			`token "ci" for prod.haloy.com expires in 10 days (2026-01-11); replace it: haloy server rotate prod.haloy.com`},
		{"from_env_file", staging, 3 * 24 * time.Hour,
			`token "ci" for staging.haloy.com expires in 3 days (2026-01-04); on the server: sudo haloyadm api token, then: export STAGING_TOKEN=<new-token>, or put STAGING_TOKEN=<new-token> in .env beside haloy.yaml`},
		{"hours", store, 5*time.Hour + 40*time.Minute,
			`token "ci" for prod.haloy.com expires in 6 hours (2026-01-01); replace it: haloy server rotate prod.haloy.com`},
		{"one_hour", store, 50 * time.Minute,
			`token "ci" for prod.haloy.com expires in 1 hour (2026-01-01); replace it: haloy server rotate prod.haloy.com`},
		{"not_soon", store, 15 * 24 * time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expiryNote(tt.ep, core.VersionResponse{TokenName: "ci", TokenExpiresAt: at(tt.left)}, now)
			if got != tt.want {
				t.Errorf("expiryNote(%s left) =\n%q, want\n%q", tt.left, got, tt.want)
			}
		})
	}
}
