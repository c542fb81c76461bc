package ports

import "context"

// EnvFiles reads dotenv files (.env, .env.local, .env.<target>).
type EnvFiles interface {
	// Read returns the variables of the dotenv file at path. A missing file
	// is empty, not an error. Returns a *core.Error of Kind Invalid naming
	// the file when it does not parse. It never changes the process
	// environment.
	Read(ctx context.Context, path string) (map[string]string, error)
}
