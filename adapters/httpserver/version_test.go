package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// The kept answer of GET /v1/version is always what encoding the token's
// current record would give: a change of any field the answer shows (a
// rotation shortens the old token's expiry) is never answered from the
// old encoding. A record that encodes as before is answered from the kept
// encoding (kept), not encoded again.
func TestVersionBodiesFollowTheRecord(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	base := core.TokenRecord{ID: 7, Name: "ci", ExpiresAt: at}
	steps := []struct {
		name    string
		version string
		edit    func(r *core.TokenRecord)
		kept    bool
	}{
		{"first", "1.2.3", func(*core.TokenRecord) {}, false},
		{"again", "1.2.3", func(*core.TokenRecord) {}, true},
		{"expiry_shortened", "1.2.3", func(r *core.TokenRecord) { r.ExpiresAt = at.Add(-time.Hour) }, false},
		{"same_instant_elsewhere", "1.2.3", func(r *core.TokenRecord) { r.ExpiresAt = r.ExpiresAt.In(time.FixedZone("X", 3600)) }, false},
		{"same_instant_back_in_utc", "1.2.3", func(r *core.TokenRecord) { r.ExpiresAt = r.ExpiresAt.UTC() }, false},
		{"never_expires", "1.2.3", func(r *core.TokenRecord) { r.ExpiresAt = time.Time{} }, false},
		{"renamed", "1.2.3", func(r *core.TokenRecord) { r.Name = "ci-2" }, false},
		{"no_scopes_as_empty_list", "1.2.3", func(r *core.TokenRecord) { r.Grant.Scopes = []core.Scope{} }, true},
		{"scopes", "1.2.3", func(r *core.TokenRecord) { r.Grant.Scopes = []core.Scope{core.ScopeRead} }, false},
		{"scopes_again", "1.2.3", func(r *core.TokenRecord) { r.Grant.Scopes = []core.Scope{core.ScopeRead} }, true},
		{"other_scopes", "1.2.3", func(r *core.TokenRecord) { r.Grant.Scopes = []core.Scope{core.ScopeDeploy} }, false},
		{"no_apps_as_empty_list", "1.2.3", func(r *core.TokenRecord) { r.Grant.Apps = []string{} }, true},
		{"apps", "1.2.3", func(r *core.TokenRecord) { r.Grant.Apps = []string{"web"} }, false},
		{"apps_again", "1.2.3", func(r *core.TokenRecord) { r.Grant.Apps = []string{"web"} }, true},
		{"other_apps", "1.2.3", func(r *core.TokenRecord) { r.Grant.Apps = []string{"api"} }, false},
		{"server_version", "1.2.4", func(*core.TokenRecord) {}, false},
	}
	v := newVersionBodies()
	var prev []byte
	for _, st := range steps {
		rec := base
		st.edit(&rec)
		resp := core.VersionResponse{Haloyd: st.version, TokenName: rec.Name, TokenScopes: rec.Grant.Scopes, TokenApps: rec.Grant.Apps}
		if !rec.ExpiresAt.IsZero() {
			resp.TokenExpiresAt = &rec.ExpiresAt
		}
		want, _ := json.Marshal(resp)
		want = append(want, '\n')
		got := v.body(st.version, rec)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: body() = %s, want %s", st.name, got, want)
		}
		if kept := prev != nil && &got[0] == &prev[0]; kept != st.kept {
			t.Errorf("%s: answered from the kept encoding = %v, want %v", st.name, kept, st.kept)
		}
		base, prev = rec, got
	}
}

// The answers kept are bounded; past the bound they are still right.
func TestVersionBodiesBounded(t *testing.T) {
	v := newVersionBodies()
	for id := range int64(versionMax + 10) {
		rec := core.TokenRecord{ID: id, Name: fmt.Sprintf("t%d", id)}
		want := fmt.Sprintf(`{"haloyd":"1","token_name":"t%d"}`+"\n", id)
		if got := string(v.body("1", rec)); got != want {
			t.Fatalf("body(token %d) = %q, want %q", id, got, want)
		}
	}
	if len(v.m) != versionMax {
		t.Errorf("answers kept = %d, want %d (the bound)", len(v.m), versionMax)
	}
}

// decisionLine writes what fmt wrote before it, quotes and all.
func TestDecisionLineAsFmt(t *testing.T) {
	for _, tt := range []struct{ name, app string }{{"ci", ""}, {`a"b`, "web"}, {"é\x00\n", `x\y`}, {"~ !", "\x7f"}, {"deploy-bot.2", "my_app"}} {
		tok := core.TokenRecord{ID: 42, Name: tt.name}
		want := fmt.Sprintf("api: %s token=%q id=%d scope=%s app=%q %s", "GET /v1/x", tok.Name, tok.ID, core.ScopeDeploy, tt.app, "allowed")
		if got := decisionLine("GET /v1/x", tok, core.ScopeDeploy, tt.app, "allowed"); got != want {
			t.Errorf("decisionLine(%q, %q) = %q, want %q", tt.name, tt.app, got, want)
		}
	}
}
