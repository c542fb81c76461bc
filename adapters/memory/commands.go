package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/haloy-auth/haloy/ports"
)

var _ ports.Commands = (*Commands)(nil)

// Commands records the hook commands run, and plays the output and exit
// status it was told for each: a command not in Lines prints nothing, one
// not in Exit exits 0.
type Commands struct {
	mu sync.Mutex
	// Ran lists the commands run, in order, each as "dir: command".
	Ran []string
	// Lines maps a command to the lines it prints.
	Lines map[string][]string
	// Exit maps a command to its exit status.
	Exit map[string]int
	// Block lists commands that run until their context ends.
	Block map[string]bool
	// Started, when set, receives each command as it starts.
	Started chan string
}

// Run records dir and command, then prints and exits as told.
func (c *Commands) Run(ctx context.Context, dir, command string, line func(string)) error {
	c.mu.Lock()
	c.Ran = append(c.Ran, dir+": "+command)
	lines, exit, block := c.Lines[command], c.Exit[command], c.Block[command]
	c.mu.Unlock()
	if c.Started != nil {
		c.Started <- command
	}
	for _, l := range lines {
		line(l)
	}
	if block {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
	if exit != 0 {
		return fmt.Errorf("exit status %d", exit)
	}
	return nil
}

// Runs returns the commands run so far, as in Ran.
func (c *Commands) Runs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.Ran...)
}
