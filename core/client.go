package core

// ClientState is what the client keeps in its config directory: the servers
// of client.yaml and the variables of the directory's .env file.
type ClientState struct {
	// Servers maps a normalized server name to its entry.
	Servers map[string]ServerRef
	// Tokens holds every variable of the config directory's .env, foreign ones
	// included: variable name -> value.
	Tokens map[string]string
}

// ServerRef is one server's entry in client.yaml.
type ServerRef struct {
	// TokenEnv names the .env or process variable that holds the server's token.
	TokenEnv string
	// CACert is an optional path to a PEM file of CA certificates that the
	// server's TLS certificate must chain to.
	CACert string
}
