//go:build unix

// Command spawn runs one command and reports what it cost: the bench's
// measuring launcher. The bench cannot read a child's peak memory itself:
// Go starts children with vfork, and Linux then counts the parent's own
// peak resident set (the bench's, tens of MiB) in the child's. spawn is
// tiny (only the syscall package), starts the command with the same
// vfork, so the floor it adds is its own resident set (about 1 MiB, below
// a Go hello-world's), and prints the child's rusage on file descriptor 3:
//
//	<user ns> <system ns> <peak RSS KiB> <exit status> <spawn's own peak RSS KiB>
//
// Standard input, output and error are passed through; spawn exits with
// the command's status.
//
// It is built for Unix only (fork, exec and wait4 with rusage); the bench
// measures on Linux.
package main

import (
	"os"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: spawn <program> [args...]\n")
		os.Exit(2)
	}
	// reset our peak to the current resident set, so that only what we
	// hold now can show in the child's figure
	if f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0); err == nil {
		_, _ = f.WriteString("5")
		_ = f.Close()
	}
	own := selfHWM()
	pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Stderr.WriteString("spawn: " + os.Args[1] + ": " + err.Error() + "\n")
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		os.Stderr.WriteString("spawn: wait: " + err.Error() + "\n")
		os.Exit(127)
	}
	status := ws.ExitStatus()
	if ws.Signaled() {
		status = 128 + int(ws.Signal())
	}
	line := strconv.FormatInt(ru.Utime.Nano(), 10) + " " + strconv.FormatInt(ru.Stime.Nano(), 10) + " " +
		strconv.FormatInt(ru.Maxrss, 10) + " " + strconv.Itoa(status) + " " + strconv.FormatInt(own, 10) + "\n"
	report := os.NewFile(3, "report")
	if report != nil {
		_, _ = report.WriteString(line)
	}
	os.Exit(status)
}

// selfHWM is this process's peak resident set in KiB (VmHWM), or -1.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	s := string(b)
	const key = "VmHWM:"
	for i := 0; i+len(key) <= len(s); i++ {
		if s[i:i+len(key)] != key {
			continue
		}
		j := i + len(key)
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		n, err := strconv.ParseInt(s[j:k], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return -1
}
