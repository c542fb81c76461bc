// Package ports holds the small interfaces that the use cases in app need and
// that the packages under adapters implement. No implementations live here.
package ports

// Notifier tells the person running a command something that is not the
// command's result: a warning (a literal token in a config file, a .env file
// whose mode was tightened) or a progress note. It never fails, and what it is
// given never contains a token or secret value.
type Notifier interface {
	// Warn reports something the user should act on.
	Warn(msg string)
	// Info reports progress or a choice made for the user.
	Info(msg string)
	// Wait says what the command is waiting for ("asking 1Password
	// Infrastructure/Haloy API Tokens", "waiting for localhost:9922") until
	// done is called; on a terminal a spinner shows it when it lasts. Calls
	// may overlap (servers checked at once).
	Wait(what string) (done func())
}
