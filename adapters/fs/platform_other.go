//go:build !unix

package fs

// posixModes is false on Windows (and other systems without Unix modes):
// access is decided by the ACLs the config directory inherits from the
// user's profile, and Go reports every file as 0666 and every directory as
// 0777 whatever they are, so the mode checks would refuse every .env.
// docs/file-formats.md ("macOS and Windows") says what protects the tokens
// there.
const posixModes = false

// syncDir does nothing here; on Windows a directory cannot be flushed
// (FlushFileBuffers on a directory handle is refused), and NTFS journals
// the rename itself.
func syncDir(string) error { return nil }
