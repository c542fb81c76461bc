package core

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in      []string
		want    []Scope
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: []string{"deploy"}, want: []Scope{ScopeDeploy}},
		{in: []string{"admin,read", "deploy"}, want: []Scope{ScopeRead, ScopeDeploy, ScopeAdmin}},
		{in: []string{"Deploy", " read ", "deploy"}, want: []Scope{ScopeRead, ScopeDeploy}},
		{in: []string{"write"}, wantErr: true},
		{in: []string{"deploy,"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseScopes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseScopes(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseScopes(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestGrantAllows(t *testing.T) {
	all := TokenGrant{}
	read := TokenGrant{Scopes: []Scope{ScopeRead}}
	deployA := TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"a"}}
	admin := TokenGrant{Scopes: []Scope{ScopeAdmin}}
	none := TokenGrant{Scopes: []Scope{}}
	tests := []struct {
		name string
		g    TokenGrant
		need Scope
		app  string
		want bool
	}{
		{"all_admin", all, ScopeAdmin, "", true},
		{"all_deploy_any_app", all, ScopeDeploy, "x", true},
		{"read_read", read, ScopeRead, "x", true},
		{"read_deploy", read, ScopeDeploy, "x", false},
		{"deploy_reads", deployA, ScopeRead, "a", true},
		{"deploy_own_app", deployA, ScopeDeploy, "a", true},
		{"deploy_other_app", deployA, ScopeDeploy, "b", false},
		{"deploy_no_app_route", deployA, ScopeRead, "", true},
		{"deploy_not_admin", deployA, ScopeAdmin, "", false},
		{"admin_deploys", admin, ScopeDeploy, "b", true},
		{"empty_grant_nothing", none, ScopeRead, "", false},
		{"unknown_need", all, Scope("root"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Authorize("t", tt.g, tt.need, tt.app)
			if got := !r.Refused(); got != tt.want {
				t.Errorf("Authorize(%+v, %q, %q) allowed = %v, want %v (%s)", tt.g, tt.need, tt.app, got, tt.want, r.Message())
			}
		})
	}
}

func TestRefusalMessage(t *testing.T) {
	g := TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"a"}}
	if got, want := Authorize("ci", g, ScopeAdmin, "").Message(), `token "ci" lacks the admin scope this route needs (it has: deploy)`; got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
	if got, want := Authorize("ci", g, ScopeDeploy, "b").Message(), `token "ci" is not for app "b" (its apps: a)`; got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

func TestGrantCovers(t *testing.T) {
	all := TokenGrant{}
	adminA := TokenGrant{Scopes: []Scope{ScopeAdmin}, Apps: []string{"a"}}
	deploy := TokenGrant{Scopes: []Scope{ScopeDeploy}}
	tests := []struct {
		name   string
		g, sub TokenGrant
		want   bool
	}{
		{"all_covers_all", all, all, true},
		{"all_covers_deploy", all, deploy, true},
		{"admin_a_not_all_apps", adminA, deploy, false},
		{"admin_a_covers_deploy_a", adminA, TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"a"}}, true},
		{"admin_a_not_deploy_b", adminA, TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"a", "b"}}, false},
		{"deploy_not_unrestricted", deploy, all, false},
		{"deploy_not_admin", deploy, TokenGrant{Scopes: []Scope{ScopeAdmin}}, false},
		{"deploy_covers_read", deploy, TokenGrant{Scopes: []Scope{ScopeRead}, Apps: []string{"x"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Covers(tt.sub); got != tt.want {
				t.Errorf("%+v.Covers(%+v) = %v, want %v", tt.g, tt.sub, got, tt.want)
			}
			// Missing says what is not covered, and nothing when all is
			if got := tt.g.Missing(tt.sub); (got == "") != tt.want {
				t.Errorf("%+v.Missing(%+v) = %q, want it empty exactly when covered", tt.g, tt.sub, got)
			}
		})
	}
}

func TestGrantMissing(t *testing.T) {
	tests := []struct {
		name   string
		g, sub TokenGrant
		want   string
	}{
		{"every_scope", TokenGrant{Scopes: []Scope{ScopeDeploy}}, TokenGrant{}, "every scope"},
		{"a_scope", TokenGrant{Scopes: []Scope{ScopeRead}, Apps: []string{"a"}}, TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"a"}}, "scopes deploy"},
		{"every_app", TokenGrant{Scopes: []Scope{ScopeAdmin}, Apps: []string{"a"}}, TokenGrant{Scopes: []Scope{ScopeRead}}, "every app"},
		{"some_apps", TokenGrant{Scopes: []Scope{ScopeAdmin}, Apps: []string{"a"}}, TokenGrant{Scopes: []Scope{ScopeRead}, Apps: []string{"a", "b", "c"}}, "apps b,c"},
		{"both", TokenGrant{Scopes: []Scope{ScopeRead}, Apps: []string{"a"}}, TokenGrant{}, "every scope and every app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Missing(tt.sub); got != tt.want {
				t.Errorf("%+v.Missing(%+v) = %q, want %q", tt.g, tt.sub, got, tt.want)
			}
		})
	}
}

func TestAcceptedScopes(t *testing.T) {
	tests := []struct {
		need Scope
		want []Scope
	}{
		// the weakest scope (rank 0) is accepted by every scope
		{ScopeRead, []Scope{ScopeRead, ScopeDeploy, ScopeAdmin}},
		{ScopeDeploy, []Scope{ScopeDeploy, ScopeAdmin}},
		{ScopeAdmin, []Scope{ScopeAdmin}},
		{Scope("owner"), nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, AcceptedScopes(tt.need)); diff != "" {
			t.Errorf("AcceptedScopes(%q) mismatch (-want +got):\n%s", tt.need, diff)
		}
	}
}
