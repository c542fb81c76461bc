//go:build windows

package shell

// shellOf returns the command interpreter and its flag: %COMSPEC%, else
// cmd (found on PATH).
func shellOf(getenv func(string) string) (string, string) {
	if c := getenv("COMSPEC"); c != "" {
		return c, "/C"
	}
	return "cmd", "/C"
}
