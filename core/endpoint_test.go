package core

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name, server, want string
	}{
		{"domain", "production.haloy.com", "https://production.haloy.com"},
		{"ipv4_remote", "192.168.1.100", "https://192.168.1.100"},
		{"localhost", "localhost", "http://localhost"},
		{"localhost_port", "localhost:9922", "http://localhost:9922"},
		{"ipv4_loopback_port", "127.0.0.1:9922", "http://127.0.0.1:9922"},
		{"ipv6_loopback_bare", "::1", "http://[::1]"},
		{"ipv6_loopback_port", "[::1]:9922", "http://[::1]:9922"},
		// 127.0.0.2 is loopback but not one of Haloy's plain-HTTP names: the e2e TLS test relies on it
		{"other_loopback_is_https", "127.0.0.2:9443", "https://127.0.0.2:9443"},
		{"remote_ipv6", "2001:db8::1", "https://[2001:db8::1]"},
		// a name that merely starts with localhost is a remote host
		{"localhost_lookalike", "localhost.evil.example", "https://localhost.evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BaseURL(tt.server); got != tt.want {
				t.Errorf("BaseURL(%q) = %q, want %q", tt.server, got, tt.want)
			}
		})
	}
}

func TestTokenRejected(t *testing.T) {
	tests := []struct {
		name string
		ep   Endpoint
		want *Error
	}{
		{
			name: "client_store",
			ep:   Endpoint{Server: "prod.haloy.com", Token: "tok-123", TokenSource: "client store HALOY_API_TOKEN_PROD_HALOY_COM"},
			want: &Error{Kind: Unauthorized, What: `authentication failed for "prod.haloy.com"`,
				Why: "the token from client store HALOY_API_TOKEN_PROD_HALOY_COM was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: haloy server add prod.haloy.com --force --token-stdin"},
		},
		{
			name: "from_is_not_doubled",
			ep:   Endpoint{Server: "prod.haloy.com", TokenSource: "from env PROD_TOKEN (set in .env)", TokenFix: "export PROD_TOKEN=<new-token>"},
			want: &Error{Kind: Unauthorized, What: `authentication failed for "prod.haloy.com"`,
				Why: "the token from env PROD_TOKEN (set in .env) was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: export PROD_TOKEN=<new-token>"},
		},
		{
			name: "app_config",
			ep:   Endpoint{Server: "prod.haloy.com", Token: "tok-123", TokenSource: "env PROD_TOKEN", TokenFix: "export PROD_TOKEN=<new-token>, or put it in .env"},
			want: &Error{Kind: Unauthorized, What: `authentication failed for "prod.haloy.com"`,
				Why: "the token from env PROD_TOKEN was rejected (invalid, revoked or expired)",
				Fix: "on the server: sudo haloyadm api token; then: export PROD_TOKEN=<new-token>, or put it in .env"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TokenRejected(tt.ep)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TokenRejected(%v) mismatch (-want +got):\n%s", tt.ep, diff)
			}
		})
	}
}

func TestEndpointPrintHidesToken(t *testing.T) {
	ep := Endpoint{Server: "prod.haloy.com", Token: "haloy_SECRET", TokenSource: "env PROD_TOKEN"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if got := fmt.Sprintf(verb, ep); strings.Contains(got, "haloy_SECRET") || !strings.Contains(got, "prod.haloy.com") {
			t.Errorf("Sprintf(%q, ep) = %q, want the server and no token", verb, got)
		}
	}
	if got := fmt.Sprintf("%v", []Endpoint{ep}); strings.Contains(got, "haloy_SECRET") {
		t.Errorf("Sprintf(%%v, []Endpoint) = %q, want no token", got)
	}
}
