package core

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// ClientState is what the client keeps in its config directory: the servers
// of client.yaml and the variables of the directory's .env file.
type ClientState struct {
	// Servers maps a normalized server name to its entry.
	Servers map[string]ServerRef
	// Tokens holds every variable of the config directory's .env, foreign ones
	// included: variable name -> value.
	Tokens map[string]string
	// Local holds the variables of the config directory's .env.local, which
	// Haloy reads too (over .env). haloy reads it and never writes it: an
	// Update leaves the file as it is, whatever fn does to Local. Nil when
	// there is no such file.
	Local map[string]string
}

// ServerRef is one server's entry in client.yaml.
type ServerRef struct {
	// TokenEnv names the .env or process variable that holds the server's token.
	TokenEnv string
	// CACert is an optional path to a PEM file of CA certificates that the
	// server's TLS certificate must chain to.
	CACert string
}

// DerivedTokenEnv reports whether env is a variable haloy gives server: Haloy's
// name (TokenEnv) or, after a collision, that name followed by _ and a prefix
// of the upper-case hex SHA-256 of the server name (see AssignTokenEnv).
func DerivedTokenEnv(server, env string) bool {
	base := TokenEnv(server)
	if env == base {
		return true
	}
	suffix, ok := strings.CutPrefix(env, base+"_")
	if !ok || len(suffix) < 8 || len(suffix)%4 != 0 {
		return false
	}
	sum := sha256.Sum256([]byte(server))
	return strings.HasPrefix(strings.ToUpper(hex.EncodeToString(sum[:])), suffix)
}

// CheckTokenEnvs refuses servers whose token variables could send one
// server's token to another: two servers naming the same variable, or a
// server naming a variable haloy would not give it (DerivedTokenEnv). file
// names client.yaml in the messages. Returns a *Error of Kind Unsafe.
//
// haloy never writes either: a hand edit or another user's write does, and
// `haloy server check` would then send server A's token to server B.
func (st ClientState) CheckTokenEnvs(file string) error {
	owner := map[string]string{}
	for _, server := range st.ServerNames() {
		env := st.Servers[server].TokenEnv
		if strings.Contains(server, APITokenPrefix) || strings.Contains(env, APITokenPrefix) {
			// a token pasted where a name belongs: every message below
			// quotes the names, so say where it is without quoting it
			return &Error{Kind: Unsafe, What: file + " holds an API token where a server name or token variable belongs",
				Why: "a token lives only in .env; haloy does not print it, so the entry is not shown",
				Fix: "remove that entry from " + file + ", then haloy server add <server> --token-stdin"}
		}
		if other, ok := owner[env]; ok {
			return &Error{Kind: Unsafe, What: fmt.Sprintf("%s gives servers %q and %q the same token variable %s", file, other, server, env),
				Why: "one of them would be sent the other's token",
				Fix: fmt.Sprintf("haloy server delete %s, then haloy server add %s --token-stdin (it gets a variable of its own)", server, server)}
		}
		owner[env] = server
		if !DerivedTokenEnv(server, env) {
			return &Error{Kind: Unsafe, What: fmt.Sprintf("%s gives server %q the token variable %s", file, server, env),
				Why: fmt.Sprintf("haloy names it %s; a variable chosen by hand could hold another server's token, which would be sent to %s", TokenEnv(server), server),
				Fix: fmt.Sprintf("set token_env: %s for %s in %s (or haloy server delete %s, then haloy server add %s --token-stdin); to use a variable of your choice, name it in the app config (api_token.from.env)", TokenEnv(server), server, file, server, server)}
		}
	}
	return nil
}
