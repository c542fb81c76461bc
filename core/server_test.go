package core

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeServer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"domain", "haloy.example.com", "haloy.example.com"},
		{"upper_case", "Production.Haloy.COM", "production.haloy.com"},
		{"trailing_dot", "haloy.example.com.", "haloy.example.com"},
		{"surrounding_space", "  haloy.example.com\n", "haloy.example.com"},
		{"single_label", "deploybox", "deploybox"},
		{"localhost", "localhost", "localhost"},
		{"localhost_port", "localhost:9922", "localhost:9922"},
		{"ipv4", "192.168.1.100", "192.168.1.100"},
		{"ipv4_loopback_port", "127.0.0.1:9922", "127.0.0.1:9922"},
		{"ipv4_loopback_range_port", "127.1.2.3:80", "127.1.2.3:80"},
		{"ipv6_bare", "2001:DB8:0:0::1", "[2001:db8::1]"},
		{"ipv6_brackets", "[2001:db8::1]", "[2001:db8::1]"},
		{"ipv6_loopback_port", "[::1]:9922", "[::1]:9922"},
		{"idn", "bücher.example", "xn--bcher-kva.example"},
		{"idn_upper", "BÜCHER.example.", "xn--bcher-kva.example"},
		{"punycode_kept", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"label_63", strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},
		{"hyphen_inside", "a-b.example.com", "a-b.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeServer(tt.in)
			if err != nil {
				t.Fatalf("NormalizeServer(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeServer(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeServerRejects(t *testing.T) {
	long := strings.Repeat("a", 60)
	tests := []struct {
		name string
		in   string
		want *Error
	}{
		{"empty", "", &Error{Kind: Invalid, What: `invalid server ""`, Why: "the server name is empty",
			Fix: "give the server's domain or IP address, e.g. haloy server add haloy.example.com"}},
		{"scheme_https", "https://haloy.example.com", &Error{Kind: Invalid, What: `invalid server "https://haloy.example.com"`,
			Why: "it starts with https://, and haloy adds https:// itself", Fix: "remove https://: haloy server add haloy.example.com"}},
		{"scheme_http_with_path", "http://haloy.example.com/api", &Error{Kind: Invalid, What: `invalid server "http://haloy.example.com/api"`,
			Why: "it starts with http://, and haloy adds https:// itself", Fix: "remove http://: haloy server add haloy.example.com"}},
		{"port_remote", "haloy.example.com:443", &Error{Kind: Invalid, What: `invalid server "haloy.example.com:443"`,
			Why: "a port is accepted only on a loopback host (localhost, 127.0.0.1, [::1]); haloy reaches a remote server on https's port 443",
			Fix: "remove the port :443: haloy server add haloy.example.com"}},
		{"port_remote_ipv6", "[2001:db8::1]:8443", &Error{Kind: Invalid, What: `invalid server "[2001:db8::1]:8443"`,
			Why: "a port is accepted only on a loopback host (localhost, 127.0.0.1, [::1]); haloy reaches a remote server on https's port 443",
			Fix: "remove the port :8443: haloy server add [2001:db8::1]"}},
		{"port_not_number", "localhost:http", &Error{Kind: Invalid, What: `invalid server "localhost:http"`,
			Why: `the port "http" is not a number from 1 to 65535`, Fix: "use a port like localhost:9922, or no port"}},
		{"port_zero", "localhost:0", &Error{Kind: Invalid, What: `invalid server "localhost:0"`,
			Why: `the port "0" is not a number from 1 to 65535`, Fix: "use a port like localhost:9922, or no port"}},
		{"path", "haloy.example.com/deploy", &Error{Kind: Invalid, What: `invalid server "haloy.example.com/deploy"`,
			Why: "it has a path (/deploy); a server is a host name only", Fix: "remove /deploy: haloy server add haloy.example.com"}},
		{"user_info", "admin@haloy.example.com", &Error{Kind: Invalid, What: `invalid server "admin@haloy.example.com"`,
			Why: "it has user info (admin@); haloy authenticates with the API token", Fix: "remove admin@: haloy server add haloy.example.com"}},
		{"user_password_hidden", "https://deploy:hunter2@haloy.example.com", &Error{Kind: Invalid, What: `invalid server "https://deploy:***@haloy.example.com"`,
			Why: "it starts with https://, and haloy adds https:// itself", Fix: "remove https://: haloy server add haloy.example.com"}},
		{"user_password_hidden_no_scheme", "deploy:hunter2@haloy.example.com", &Error{Kind: Invalid, What: `invalid server "deploy:***@haloy.example.com"`,
			Why: "it has user info (deploy:***@); haloy authenticates with the API token", Fix: "remove deploy:***@: haloy server add haloy.example.com"}},
		{"empty_label", "haloy..example.com", &Error{Kind: Invalid, What: `invalid server "haloy..example.com"`,
			Why: "it has an empty label (two dots in a row, or a leading dot)", Fix: "remove the extra dot"}},
		{"leading_dot", ".example.com", &Error{Kind: Invalid, What: `invalid server ".example.com"`,
			Why: "it has an empty label (two dots in a row, or a leading dot)", Fix: "remove the extra dot"}},
		{"label_64", strings.Repeat("a", 64) + ".com", &Error{Kind: Invalid, What: `invalid server "` + strings.Repeat("a", 64) + `.com"`,
			Why: `the label "` + strings.Repeat("a", 64) + `" is 64 bytes long; a label has at most 63`,
			Fix: "check the name; each part between dots must be 63 bytes or fewer"}},
		{"name_254", long + "." + long + "." + long + "." + long + "." + "abcdefghijklm", &Error{Kind: Invalid,
			What: `invalid server "` + long + "." + long + "." + long + "." + long + "." + "abcdefghijklm" + `"`,
			Why:  "the name is 257 bytes long; a domain has at most 253", Fix: "check that you pasted only the server's name"}},
		{"underscore", "my_server.example.com", &Error{Kind: Invalid, What: `invalid server "my_server.example.com"`,
			Why: "it contains the invalid character '_'; a domain has only letters, digits, hyphens and dots", Fix: "remove the character, or give the server's IP address"}},
		{"inner_space", "haloy example.com", &Error{Kind: Invalid, What: `invalid server "haloy example.com"`,
			Why: "it contains the invalid character ' '; a domain has only letters, digits, hyphens and dots", Fix: "remove the character, or give the server's IP address"}},
		{"hyphen_edge", "-haloy.example.com", &Error{Kind: Invalid, What: `invalid server "-haloy.example.com"`,
			Why: `the label "-haloy" starts or ends with a hyphen`, Fix: "check the name"}},
		{"numeric_tld", "1.2.3", &Error{Kind: Invalid, What: `invalid server "1.2.3"`,
			Why: "it is neither an IPv4 address nor a domain (a top-level domain is never all digits)", Fix: "write an IPv4 address as four numbers, e.g. 192.168.1.100"}},
		{"ipv6_zone", "[fe80::1%eth0]", &Error{Kind: Invalid, What: `invalid server "[fe80::1%eth0]"`,
			Why: `"fe80::1%eth0" is not an IPv6 address (zones like %eth0 are not accepted)`, Fix: "write an IPv6 address as [2001:db8::1]"}},
		{"ipv6_unclosed", "[::1", &Error{Kind: Invalid, What: `invalid server "[::1"`,
			Why: "the IPv6 address has no closing ]", Fix: "write it as [2001:db8::1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeServer(tt.in)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("NormalizeServer(%q) = %q, %v; want a *Error", tt.in, got, err)
			}
			if diff := cmp.Diff(tt.want, ce); diff != "" {
				t.Errorf("NormalizeServer(%q) error mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTokenEnv(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"production.haloy.com", "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
		{"a-b.example.com", "HALOY_API_TOKEN_A_B_EXAMPLE_COM"},
		{"a.b.example.com", "HALOY_API_TOKEN_A_B_EXAMPLE_COM"},
		{"192.168.1.100", "HALOY_API_TOKEN_192_168_1_100"},
		{"localhost:9922", "HALOY_API_TOKEN_LOCALHOST_9922"},
		{"[::1]:9922", "HALOY_API_TOKEN__1_9922"},
		{"xn--bcher-kva.example", "HALOY_API_TOKEN_XN_BCHER_KVA_EXAMPLE"},
		// Haloy keeps an underscore and does not merge it with a following run.
		{"a_-b", "HALOY_API_TOKEN_A__B"},
	}
	for _, tt := range tests {
		if got := TokenEnv(tt.in); got != tt.want {
			t.Errorf("TokenEnv(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAssignTokenEnv(t *testing.T) {
	st := ClientState{Servers: map[string]ServerRef{
		"a-b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM"},
	}}
	// a.b.example.com must not share a-b.example.com's variable.
	got, collided := AssignTokenEnv(st, "a.b.example.com")
	// The suffix is the first 8 hex digits of sha256("a.b.example.com").
	if want := "HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4"; got != want || !collided {
		t.Fatalf("AssignTokenEnv(%q) = %q, %v, want %q, true", "a.b.example.com", got, collided, want)
	}
	again, _ := AssignTokenEnv(st, "a.b.example.com")
	if again != got {
		t.Errorf("AssignTokenEnv is not deterministic: %q then %q", got, again)
	}
	// The server's own entry does not count as a collision (a --force re-add).
	own, collided := AssignTokenEnv(st, "a-b.example.com")
	if own != "HALOY_API_TOKEN_A_B_EXAMPLE_COM" || collided {
		t.Errorf("AssignTokenEnv(a-b.example.com) = %q, %v, want %q, false", own, collided, "HALOY_API_TOKEN_A_B_EXAMPLE_COM")
	}
	// When even the suffixed name is taken, a longer suffix is used.
	st.Servers["other"] = ServerRef{TokenEnv: got}
	longer, _ := AssignTokenEnv(st, "a.b.example.com")
	if longer == got || !strings.HasPrefix(longer, got) {
		t.Errorf("AssignTokenEnv with %q taken = %q, want a longer suffix", got, longer)
	}
}

func TestValidateToken(t *testing.T) {
	fix := "pass the real token, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"
	want := "the API token your server's administrator issued (sudo haloyadm api token prints it once)"
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"ok_plain", "abc123token456", nil},
		{"ok_leading_zeros", "00123", nil},
		{"ok_hash", "a#b", nil},
		{"ok_equals", "x=y", nil},
		{"ok_quotes", `q"u'o`, nil},
		{"ok_dollar_inside", "ab$HOME", nil},
		{"ok_dollar_not_a_variable", "$1abc", nil},
		{"empty", "", &Error{Kind: Invalid, What: "the token is empty", Why: "expected " + want, Fix: fix}},
		{"space", "abc def", &Error{Kind: Invalid, What: "the token contains whitespace or a control character",
			Why: "an API token is one word; a copy may have picked up a space or a line break", Fix: fix}},
		{"newline", "abc\n", &Error{Kind: Invalid, What: "the token contains whitespace or a control character",
			Why: "an API token is one word; a copy may have picked up a space or a line break", Fix: fix}},
		{"angle", "<token>", &Error{Kind: Invalid, What: `the token "<token>" is a placeholder`,
			Why: "text in <angle brackets> in documentation stands for a value you supply; expected " + want, Fix: fix}},
		{"angle_other", "<production-token>", &Error{Kind: Invalid, What: `the token "<production-token>" is a placeholder`,
			Why: "text in <angle brackets> in documentation stands for a value you supply; expected " + want, Fix: fix}},
		{"your_token_here", "YOUR_TOKEN_HERE", &Error{Kind: Invalid, What: `the token "YOUR_TOKEN_HERE" is a placeholder`,
			Why: "it is example text from documentation; expected " + want, Fix: fix}},
		{"shell_var", "${PROD_TOKEN}", &Error{Kind: Invalid, What: `the token "${PROD_TOKEN}" is a placeholder`,
			Why: "the shell did not expand the variable (single quotes, or the variable is not set)",
			Fix: "set the variable and use double quotes, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"}},
		{"shell_var_bare", "$HOME", &Error{Kind: Invalid, What: `the token "$HOME" is a placeholder`,
			Why: "the shell did not expand the variable (single quotes, or the variable is not set)",
			Fix: "set the variable and use double quotes, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"}},
		{"op_ref", "op://Vault/Haloy/token", &Error{Kind: Invalid, What: `the token "op://Vault/Haloy/token" is a placeholder`,
			Why: "it is a 1Password reference, not a token; haloy server add stores the token itself",
			Fix: "read it first: op read 'op://Vault/Haloy/token' | haloy server add <server> --token-stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateToken(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateToken(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestValidateTokenNeverEchoesSecret(t *testing.T) {
	for _, tok := range []string{"s3cret value", "s3cret\tvalue", "s3cret\x00value"} {
		err := ValidateToken(tok)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ValidateToken(%q) = %v, want an error without the token", tok, err)
		}
		var ce *Error
		if errors.As(err, &ce) && strings.Contains(ce.Fix+ce.Why+ce.What, "s3cret") {
			t.Errorf("ValidateToken(%q) error text contains the token: %+v", tok, ce)
		}
	}
}

func TestClientStateAdd(t *testing.T) {
	base := func() ClientState {
		return ClientState{
			Servers: map[string]ServerRef{"a-b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CACert: "/etc/ca.pem"}},
			Tokens:  map[string]string{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "old", "OTHER": "kept"},
		}
	}
	tests := []struct {
		name      string
		req       AddServer
		want      Added
		wantState ClientState
		wantErr   error
	}{
		{
			name: "new_server",
			req:  AddServer{Server: "Production.Haloy.com", Token: "tok1"},
			want: Added{Server: "production.haloy.com", TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM", HaloyTokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
			wantState: ClientState{
				Servers: map[string]ServerRef{
					"a-b.example.com":      {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CACert: "/etc/ca.pem"},
					"production.haloy.com": {TokenEnv: "HALOY_API_TOKEN_PRODUCTION_HALOY_COM"},
				},
				Tokens: map[string]string{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "old", "OTHER": "kept", "HALOY_API_TOKEN_PRODUCTION_HALOY_COM": "tok1"},
			},
		},
		{
			name:      "existing_without_force",
			req:       AddServer{Server: "a-b.example.com", Token: "new"},
			wantState: base(),
			wantErr: &Error{Kind: Conflict, What: `server "a-b.example.com" is already configured`,
				Why: "its token is in HALOY_API_TOKEN_A_B_EXAMPLE_COM; nothing was changed",
				Fix: "to replace its token: haloy server add a-b.example.com --force --token-stdin"},
		},
		{
			name: "existing_with_force_keeps_ca",
			req:  AddServer{Server: "A-B.example.com.", Token: "new", Force: true},
			want: Added{Server: "a-b.example.com", TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", HaloyTokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", Replaced: true},
			wantState: ClientState{
				Servers: map[string]ServerRef{"a-b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CACert: "/etc/ca.pem"}},
				Tokens:  map[string]string{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "new", "OTHER": "kept"},
			},
		},
		{
			name: "collision_gets_distinct_variable",
			req:  AddServer{Server: "a.b.example.com", Token: "tok2", CACert: "/ca2.pem"},
			want: Added{Server: "a.b.example.com", TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4", HaloyTokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CollidedWith: "a-b.example.com"},
			wantState: ClientState{
				Servers: map[string]ServerRef{
					"a-b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM", CACert: "/etc/ca.pem"},
					"a.b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4", CACert: "/ca2.pem"},
				},
				Tokens: map[string]string{"HALOY_API_TOKEN_A_B_EXAMPLE_COM": "old", "OTHER": "kept", "HALOY_API_TOKEN_A_B_EXAMPLE_COM_532E2DC4": "tok2"},
			},
		},
		{
			name:      "bad_token_changes_nothing",
			req:       AddServer{Server: "new.example.com", Token: "<token>"},
			wantState: base(),
			wantErr: &Error{Kind: Invalid, What: `the token "<token>" is a placeholder`,
				Why: "text in <angle brackets> in documentation stands for a value you supply; expected the API token your server's administrator issued (sudo haloyadm api token prints it once)",
				Fix: "pass the real token, e.g. printf '%s\\n' \"$TOKEN\" | haloy server add <server> --token-stdin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := base()
			got, err := st.Add(tt.req)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("Add(%+v) error mismatch (-want +got):\n%s", tt.req.Server, diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Add(%q) mismatch (-want +got):\n%s", tt.req.Server, diff)
			}
			if diff := cmp.Diff(tt.wantState, st); diff != "" {
				t.Errorf("state after Add(%q) mismatch (-want +got):\n%s", tt.req.Server, diff)
			}
			if got.Collided() != (tt.name == "collision_gets_distinct_variable") {
				t.Errorf("Add(%q).Collided() = %v", tt.req.Server, got.Collided())
			}
		})
	}
}

func TestClientStateDelete(t *testing.T) {
	tests := []struct {
		name      string
		st        ClientState
		in        string
		want      Deleted
		wantState ClientState
		wantErr   error
	}{
		{
			name: "normalizes_and_removes_only_its_line",
			st: ClientState{
				Servers: map[string]ServerRef{"production.haloy.com": {TokenEnv: "P"}, "staging.haloy.com": {TokenEnv: "S"}},
				Tokens:  map[string]string{"P": "1", "S": "2", "FOREIGN": "3"},
			},
			in:   "Production.Haloy.com",
			want: Deleted{Server: "production.haloy.com", TokenEnv: "P", TokenRemoved: true},
			wantState: ClientState{
				Servers: map[string]ServerRef{"staging.haloy.com": {TokenEnv: "S"}},
				Tokens:  map[string]string{"S": "2", "FOREIGN": "3"},
			},
		},
		{
			// Haloy lets two servers share one variable; deleting one must not strip the other's token.
			name: "shared_variable_kept",
			st: ClientState{
				Servers: map[string]ServerRef{"a-b.example.com": {TokenEnv: "V"}, "a.b.example.com": {TokenEnv: "V"}},
				Tokens:  map[string]string{"V": "1"},
			},
			in:   "a.b.example.com",
			want: Deleted{Server: "a.b.example.com", TokenEnv: "V"},
			wantState: ClientState{
				Servers: map[string]ServerRef{"a-b.example.com": {TokenEnv: "V"}},
				Tokens:  map[string]string{"V": "1"},
			},
		},
		{
			// Haloy's client stores the name as typed, port included; haloy must still delete it.
			name: "haloy_written_key_as_is",
			st: ClientState{
				Servers: map[string]ServerRef{"Haloy.Example.com:443": {TokenEnv: "H"}},
				Tokens:  map[string]string{"H": "1"},
			},
			in:        "Haloy.Example.com:443",
			want:      Deleted{Server: "Haloy.Example.com:443", TokenEnv: "H", TokenRemoved: true},
			wantState: ClientState{Servers: map[string]ServerRef{}, Tokens: map[string]string{}},
		},
		{
			name:      "unknown_lists_configured",
			st:        ClientState{Servers: map[string]ServerRef{"staging.haloy.com": {TokenEnv: "S"}, "production.haloy.com": {TokenEnv: "P"}}},
			in:        "prod2.haloy.com",
			wantState: ClientState{Servers: map[string]ServerRef{"staging.haloy.com": {TokenEnv: "S"}, "production.haloy.com": {TokenEnv: "P"}}},
			wantErr: &Error{Kind: NotFound, What: `unknown server "prod2.haloy.com"`,
				Why: "configured: production.haloy.com, staging.haloy.com", Fix: "haloy server list"},
		},
		{
			name: "unknown_none_configured",
			in:   "prod.haloy.com",
			wantErr: &Error{Kind: NotFound, What: `unknown server "prod.haloy.com"`,
				Why: "no servers are configured", Fix: "haloy server add prod.haloy.com --token-stdin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.st.Delete(tt.in)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("Delete(%q) error mismatch (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Delete(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.wantState, tt.st); diff != "" {
				t.Errorf("state after Delete(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestValidateAdd(t *testing.T) {
	swapped := &Error{Kind: Invalid, What: "the server and the token look swapped",
		Why: "the token argument is a host name, and the server argument is not one",
		Fix: "give the server first: haloy server add <server> --token-stdin, with the token on stdin"}
	tests := []struct {
		name, server, token string
		want                error
	}{
		{"ok", "production.haloy.com", "abc123token456", nil},
		{"ok_single_label_server", "deploybox", "abc123token456", nil},
		{"ok_token_with_dots_for_a_domain", "production.haloy.com", "part1.part2.part3", nil},
		// the user typed the token first: storing it as a server name would print and save it
		{"swapped", "abc123token456", "production.haloy.com", swapped},
		{"swapped_invalid_token", "tok_with_underscore", "haloy.example.com", swapped},
		{"swapped_ip", "abc123", "192.168.1.100", swapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateAdd(tt.server, tt.token)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateAdd(%q, %q) mismatch (-want +got):\n%s", tt.server, tt.token, diff)
			}
		})
	}
}

func TestCheckTokenEnvs(t *testing.T) {
	collided, _ := AssignTokenEnv(ClientState{Servers: map[string]ServerRef{"a-b.example.com": {TokenEnv: TokenEnv("a.b.example.com")}}}, "a.b.example.com")
	tests := []struct {
		name    string
		servers map[string]ServerRef
		wantErr string
	}{
		{"derived", map[string]ServerRef{"a.example.com": {TokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM"}, "[::1]:9922": {TokenEnv: "HALOY_API_TOKEN__1_9922"}}, ""},
		{"collision_suffix", map[string]ServerRef{"a-b.example.com": {TokenEnv: TokenEnv("a-b.example.com")}, "a.b.example.com": {TokenEnv: collided}}, ""},
		// a writer of client.yaml points b at a's variable: b would get a's token
		{"other_servers_variable", map[string]ServerRef{"a.example.com": {TokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM"}, "b.example.com": {TokenEnv: "HALOY_API_TOKEN_A_EXAMPLE_COM"}},
			`client.yaml gives servers "a.example.com" and "b.example.com" the same token variable HALOY_API_TOKEN_A_EXAMPLE_COM: one of them would be sent the other's token`},
		{"hand_chosen", map[string]ServerRef{"b.example.com": {TokenEnv: "GITHUB_TOKEN"}},
			`client.yaml gives server "b.example.com" the token variable GITHUB_TOKEN: haloy names it HALOY_API_TOKEN_B_EXAMPLE_COM; a variable chosen by hand could hold another server's token, which would be sent to b.example.com`},
		// a token pasted as a name must not be quoted back (found by FuzzLoadHidesValues)
		{"token_as_server", map[string]ServerRef{"haloy_yv-ljf2zdJfCvYtHwGS[": {TokenEnv: "HALOY_API_TOKEN_X"}},
			`client.yaml holds an API token where a server name or token variable belongs: a token lives only in .env; haloy does not print it, so the entry is not shown`},
		{"token_as_variable", map[string]ServerRef{"a.example.com": {TokenEnv: "haloy_yv-ljf2zdJfCvYtHwGS"}},
			`client.yaml holds an API token where a server name or token variable belongs: a token lives only in .env; haloy does not print it, so the entry is not shown`},
		{"wrong_suffix", map[string]ServerRef{"b.example.com": {TokenEnv: "HALOY_API_TOKEN_B_EXAMPLE_COM_DEADBEEF"}},
			`client.yaml gives server "b.example.com" the token variable HALOY_API_TOKEN_B_EXAMPLE_COM_DEADBEEF: haloy names it HALOY_API_TOKEN_B_EXAMPLE_COM; a variable chosen by hand could hold another server's token, which would be sent to b.example.com`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ClientState{Servers: tt.servers}.CheckTokenEnvs("client.yaml")
			got := ""
			if err != nil {
				got = err.Error()
				if e, ok := err.(*Error); !ok || e.Kind != Unsafe {
					t.Errorf("CheckTokenEnvs error %#v, want a *Error of Kind Unsafe", err)
				}
			}
			if got != tt.wantErr {
				t.Errorf("CheckTokenEnvs() = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// The hint of a name that can be corrected is the corrected command of the
// command that was run (issue 16: delete suggested add, and a scheme with a
// trailing slash suggested nothing).
func TestNormalizeServerForHints(t *testing.T) {
	tests := []struct {
		raw, cmd, wantFix string
	}{
		{"HTTPS://localhost", "haloy server delete %s", "remove HTTPS://: haloy server delete localhost"},
		{"https://haloy.example.com/", "haloy server add %s --token-stdin", "remove https://: haloy server add haloy.example.com --token-stdin"},
		{"https://admin@Haloy.Example.com:8443/api?x=1", "haloy server version --server %s", "remove https://: haloy server version --server haloy.example.com"},
		{"http://localhost:9922/", "haloy server delete %s", "remove http://: haloy server delete localhost:9922"},
		{"haloy.example.com/", "haloy server delete %s", "remove /: haloy server delete haloy.example.com"},
		{"https://a..b/", "haloy server delete %s", "remove https://"},
	}
	for _, tt := range tests {
		_, err := NormalizeServerFor(tt.raw, tt.cmd)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("NormalizeServerFor(%q) = %v, want a *Error", tt.raw, err)
			continue
		}
		if e.Fix != tt.wantFix {
			t.Errorf("NormalizeServerFor(%q, %q) fix = %q, want %q", tt.raw, tt.cmd, e.Fix, tt.wantFix)
		}
	}
}

func TestValidateTokenLength(t *testing.T) {
	if err := ValidateToken(strings.Repeat("a", MaxTokenBytes)); err != nil {
		t.Errorf("ValidateToken(%d bytes) = %v, want nil", MaxTokenBytes, err)
	}
	err := ValidateToken(strings.Repeat("a", 65536))
	want := "the token is too long: 65536 bytes, and a token has at most 4096"
	if e, ok := err.(*Error); !ok || e.What != want || e.Kind != Invalid {
		t.Errorf("ValidateToken(65536 bytes) = %v, want Invalid %q", err, want)
	}
}

// Entries Haloy's client stored as typed are found by any spelling of the
// same server (issue 16).
func TestClientStateKey(t *testing.T) {
	st := ClientState{Servers: map[string]ServerRef{"HALOY.Example.COM": {}, "LOCALHOST:39922": {}, "other.example.com": {}}}
	for in, want := range map[string]string{
		"haloy.example.com":  "HALOY.Example.COM",
		"Haloy.Example.Com.": "HALOY.Example.COM",
		"HALOY.Example.COM":  "HALOY.Example.COM",
		"localhost:39922":    "LOCALHOST:39922",
		"OTHER.example.com":  "other.example.com",
		"missing.example":    "",
	} {
		if got, ok := st.Key(in); got != want || ok != (want != "") {
			t.Errorf("Key(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if !IsLoopbackServer("LOCALHOST:39922") || !IsPlainHTTP("LOCALHOST:39922") {
		t.Errorf("LOCALHOST:39922 is not taken for a loopback server")
	}
}
