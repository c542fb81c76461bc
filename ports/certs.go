package ports

// CACerts checks CA certificate files named on the command line.
type CACerts interface {
	// CheckCA returns the absolute form of path after checking that the file
	// holds at least one PEM certificate. Returns a *core.Error of Kind
	// NotFound when there is no such file, and of Kind Invalid when it holds
	// no PEM certificate.
	CheckCA(path string) (string, error)
}
