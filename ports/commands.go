package ports

import "context"

// Commands runs the shell commands of an app config's deploy hooks
// (pre_deploy, post_deploy, global_pre_deploy, global_post_deploy).
type Commands interface {
	// Run runs command with the system shell in directory dir, with the
	// process environment as the program received it (no variable of any
	// .env file), no input, and calls line with each line the command
	// writes to stdout or stderr, in the order they arrive, from one
	// goroutine at a time. It returns nil when the command exits 0; an
	// error saying the exit status when it exits otherwise or cannot be
	// started; and, when ctx ends first, an error wrapping ctx.Err() once
	// the command was stopped.
	Run(ctx context.Context, dir, command string, line func(string)) error
}
