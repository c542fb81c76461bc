package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeployHooks deploys with every kind of hook to our own server: they
// run in order, in the config's directory, with the process environment
// and never a variable of a .env file (the config directory's holds the
// API token haloy server add stored).
func TestDeployHooks(t *testing.T) {
	needBinary(t)

	t.Run("hooks_run_in_order_without_the_token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Env = append(c.Env, "HOOK_PROCESS_VAR=from-the-process")
		c.Write(t, ".env", "PROJECT_DOTENV_VAR=from-the-project-dotenv\n")
		c.Write(t, "haloy.yaml", appYAML("hooked", "", "")+`global_pre_deploy:
  - echo global-pre > order.txt
pre_deploy:
  - env
  - echo pre >> order.txt
post_deploy:
  - echo post >> order.txt
global_post_deploy:
  - echo global-post >> order.txt
`)
		r := c.Must(t, "deploy")
		wantDeployed(t, s, "hooked", s.FirstName, 1)
		order, err := os.ReadFile(filepath.Join(c.Dir, "order.txt"))
		if err != nil || string(order) != "global-pre\npre\npost\nglobal-post\n" {
			t.Errorf("order.txt in the config's directory = %q, %v; want global-pre, pre, post, global-post\n%s", order, err, r.output())
		}
		wantIn(t, "haloy deploy output", r.stdout, "hooked | pre_deploy 1/2: env\n", "hooked | pre_deploy 1/2> HOOK_PROCESS_VAR=from-the-process\n",
			"global | global_post_deploy 1/1: echo global-post >> order.txt\n")
		// the token is scanned for by the leak scan; its variable's name
		// would show a .env variable reached the hook even if redacted
		var envOut strings.Builder
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, "hooked | pre_deploy 1/2> ") {
				envOut.WriteString(l + "\n")
			}
		}
		wantIn(t, "the output of the env hook", envOut.String(), "PATH=")
		wantNotIn(t, "the output of the env hook", envOut.String(), "HALOY_API_TOKEN", "PROJECT_DOTENV_VAR")
		wantNotIn(t, "haloy deploy output", r.output(), "from-the-project-dotenv")
	})

	t.Run("post_hook_failure_after_a_completed_deployment", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.json", `{"name": "hooked", "image": {"repository": "ghcr.io/example/hooked", "tag": "v1"},
  "postDeploy": ["echo purging; exit 3"], "globalPostDeploy": ["touch never"]}
`)
		r := c.Run(t, "deploy")
		wantExit(t, "haloy deploy", r, 1)
		wantDeployed(t, s, "hooked", s.FirstName, 1)
		wantIn(t, "haloy deploy output", r.output(), "hooked | postDeploy 1/1> purging\n",
			`haloy: error: postDeploy hook failed: "echo purging; exit 3" (1 of 1)`+"\n",
			"haloy: exit status 3, in the current directory; the deployment itself completed\n",
			"hooked  127.0.0.1:")
		if _, err := os.Stat(filepath.Join(c.Dir, "never")); err == nil {
			t.Errorf("globalPostDeploy ran although a postDeploy hook failed")
		}
	})

	// SIGINT to haloy alone (a terminal's Ctrl-C reaches the hook too):
	// the hook is stopped, the target INTERRUPTED, nothing deployed, 130
	t.Run("interrupt_stops_a_hanging_hook", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, serverOpts{})
		c := newClient(t)
		c.Add(t, s.Name, s.First)
		c.Write(t, "haloy.yaml", appYAML("hooked", "", "")+"pre_deploy:\n  - sleep 60\n")
		cmd := exec.Command(haloyBin, "deploy")
		cmd.Dir, cmd.Env = c.Dir, c.env()
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if text := out.WaitFor(func(s string) bool { return strings.Contains(s, "pre_deploy 1/1: sleep 60") }); !strings.Contains(text, "pre_deploy 1/1: sleep 60") {
			_ = cmd.Process.Kill()
			t.Fatalf("haloy deploy did not start its hook:\n%s", text)
		}
		start := time.Now()
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("haloy deploy still running 20s after SIGINT:\n%s", out.String())
		}
		took := time.Since(start)
		leaks.Capture(t, "haloy deploy interrupted", out.String())
		if code := cmd.ProcessState.ExitCode(); code != 130 {
			t.Errorf("haloy deploy after SIGINT = exit %d, want 130\n%s", code, out.String())
		}
		wantIn(t, "haloy deploy output", out.String(), `haloy: error: pre_deploy hook stopped: "sleep 60" (1 of 1)`, "INTERRUPTED in pre_deploy")
		t.Logf("haloy deploy ended %s after SIGINT", took.Round(time.Millisecond))
	})
}
