package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/adapters/memory"
)

// hooksWorld is blue and green on one server (one worker: a fixed order)
// with every kind of hook.
func hooksWorld() *netWorld {
	w := newNetWorld()
	c := w.configs["bluegreen.haloy.yaml"]
	c.GlobalPreDeploy = []string{"make build"}
	c.GlobalPostDeploy = []string{"notify shipped"}
	c.PreDeploy = []string{"npm run migrate"}
	c.PostDeploy = []string{"purge cdn"}
	w.configs["bluegreen.haloy.yaml"] = c
	w.cmds = &memory.Commands{Lines: map[string][]string{"make build": {"built shop"}, "npm run migrate": {"migrated"}}, Exit: map[string]int{}}
	return w
}

func TestDeployCLIHooks(t *testing.T) {
	w := hooksWorld()
	code, stdout, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a")
	// the global hooks' lines are aligned with the targets'
	want := `blue   | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
green  | server prod.haloy.com (server: in bluegreen.haloy.yaml); token: client store HALOY_API_TOKEN_PROD_HALOY_COM (set in the config directory's .env)
blue   | server prod.haloy.com runs haloyd 1.4.0; token accepted ("prod-ci")
global | global_pre_deploy 1/1: make build
global | global_pre_deploy 1/1> built shop
blue   | pre_deploy 1/1: npm run migrate
blue   | pre_deploy 1/1> migrated
blue   | deploying blue (shop) to prod.haloy.com as <ULID....................>
blue   | deployment <ULID....................> accepted; following its log
blue   | deployment received
blue   | deployment recorded
blue   | deployment complete
blue   | post_deploy 1/1: purge cdn
green  | pre_deploy 1/1: npm run migrate
green  | pre_deploy 1/1> migrated
green  | deploying green (shop) to prod.haloy.com as <ULID....................>
green  | deployment <ULID....................> accepted; following its log
green  | deployment received
green  | deployment recorded
green  | deployment complete
green  | post_deploy 1/1: purge cdn
global | global_post_deploy 1/1: notify shipped

2 of 2 targets deployed
  blue   prod.haloy.com  deployed  <ULID....................>
  green  prod.haloy.com  deployed  <ULID....................>
`
	if code != 0 || stderr != "" {
		t.Errorf("deploy: code %d, stderr %q; want 0, none", code, stderr)
	}
	if diff := cmp.Diff(want, ulids(stdout)); diff != "" {
		t.Errorf("deploy stdout mismatch (-want +got):\n%s", diff)
	}
}

func TestDeployCLIHookFailures(t *testing.T) {
	tests := []struct {
		name        string
		fail        string
		code        int
		stderr      string
		wantSummary string
	}{
		{"global_pre", "make build", 1, `haloy: error: global_pre_deploy hook failed: "make build" (1 of 1)
haloy: exit status 2, in the current directory
haloy: hint: run it by hand in the current directory to see why, fix it, then deploy again
haloy: error: nothing was deployed
`, ""},
		{"pre", "npm run migrate", 1, `haloy: error: target "blue": pre_deploy hook failed: "npm run migrate" (1 of 1)
haloy: exit status 2, in the current directory
haloy: hint: run it by hand in the current directory to see why, fix it, then deploy again
haloy: error: target "green": pre_deploy hook failed: "npm run migrate" (1 of 1)
haloy: exit status 2, in the current directory
haloy: hint: run it by hand in the current directory to see why, fix it, then deploy again
haloy: error: 2 of 2 targets failed: blue, green
`, `0 of 2 targets deployed
  blue   prod.haloy.com  FAILED in pre_deploy  -
  green  prod.haloy.com  FAILED in pre_deploy  -
`},
		{"post", "purge cdn", 1, `haloy: error: target "blue": post_deploy hook failed: "purge cdn" (1 of 1)
haloy: exit status 2, in the current directory; the deployment itself completed
haloy: hint: run it by hand in the current directory to see why, fix it, then deploy again
haloy: error: target "green": post_deploy hook failed: "purge cdn" (1 of 1)
haloy: exit status 2, in the current directory; the deployment itself completed
haloy: hint: run it by hand in the current directory to see why, fix it, then deploy again
haloy: error: 2 of 2 targets failed: blue, green
`, `0 of 2 targets deployed
  blue   prod.haloy.com  deployed, post_deploy failed  <ULID....................>
  green  prod.haloy.com  deployed, post_deploy failed  <ULID....................>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := hooksWorld()
			w.cmds.Exit[tt.fail] = 2
			code, stdout, stderr := w.run(t, "", "deploy", "-c", "bluegreen.haloy.yaml", "-a")
			if code != tt.code {
				t.Errorf("deploy: code %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.stderr, stderr); diff != "" {
				t.Errorf("deploy stderr mismatch (-want +got):\n%s", diff)
			}
			_, summary, _ := strings.Cut(ulids(stdout), "\n\n")
			if diff := cmp.Diff(tt.wantSummary, summary); diff != "" {
				t.Errorf("deploy summary mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(stdout, "notify shipped") {
				t.Errorf("deploy stdout shows global_post_deploy although %s failed:\n%s", tt.fail, stdout)
			}
		})
	}
}
