//go:build unix

package fs

import (
	"fmt"
	"os"
)

// posixModes says that mode bits are what keeps other users out of the
// config directory and .env, so they are checked and tightened.
const posixModes = true

// syncDir makes a rename inside dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
