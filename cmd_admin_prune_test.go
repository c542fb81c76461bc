package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

// pruneWorld holds tokens made 100 days ago: old-ci expired 40 days ago,
// recent 10 days ago, gone was revoked 31 days ago, laptop never ends, and
// ci was rotated 50 days ago (its old token's grace ended then).
func pruneWorld(t *testing.T, domain string) (*adminWorld, []string) {
	t.Helper()
	w := newAdminWorld(domain)
	ctx := context.Background()
	now, day := time.Now(), 24*time.Hour
	var hashes []string
	mk := func(name string, expires time.Time) core.TokenRecord {
		h := core.HashAPIToken(core.FormatAPIToken([core.APITokenBytes]byte{byte(len(hashes) + 1)}))
		hashes = append(hashes, hex.EncodeToString(h[:]))
		rec, err := w.tokens.Create(ctx, core.NewTokenRecord{Name: name, Hash: h, CreatedAt: now.Add(-100 * day), ExpiresAt: expires, CreatedBy: "haloyadm (bob)"})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	mk("old-ci", now.Add(-40*day))
	mk("recent", now.Add(-10*day))
	mk("laptop", time.Time{})
	mk("gone", time.Time{})
	ci := mk("ci", now.Add(90*day))
	if _, err := w.tokens.Revoke(ctx, "gone", now.Add(-31*day), "haloyadm (bob)"); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-50 * day)
	if _, err := w.tokens.Rotate(ctx, ci.ID, core.NewTokenRecord{Hash: core.HashAPIToken("haloy_prune_ci_2"), CreatedAt: at, ExpiresAt: at.Add(90 * day)}, at.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	return w, hashes
}

var rfc3339RE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`)

func TestAdminPrune(t *testing.T) {
	const bad = "haloyadm: hint: use days (--older-than 30d) or a Go duration (--older-than 12h), at least --older-than 1h\n"
	tests := []struct {
		name       string
		domain     string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
		wantLeft   []string
	}{
		{
			name: "default", args: []string{"api", "token", "prune"},
			wantStdout: "ID  NAME    ENDED                 STATUS\n" +
				"1   old-ci  0000-00-00 00:00 UTC  expired\n" +
				"4   gone    0000-00-00 00:00 UTC  revoked by haloyadm (bob)\n" +
				"5   ci      0000-00-00 00:00 UTC  expired (rotated, replaced by id 6)\n" +
				"pruned 3 tokens that ended before 0000-00-00 00:00 UTC\n",
			wantStderr: `haloyadm: tokens pruned by haloyadm (alice): 3 that ended before <time>: "old-ci" (id 1), "gone" (id 4), "ci" (id 5)` + "\n",
			wantLeft:   []string{"recent", "laptop", "ci"},
		},
		{
			name: "dry_run", args: []string{"api", "token", "prune", "--dry-run"},
			wantStdout: "ID  NAME    ENDED                 STATUS\n" +
				"1   old-ci  0000-00-00 00:00 UTC  expired\n" +
				"4   gone    0000-00-00 00:00 UTC  revoked by haloyadm (bob)\n" +
				"5   ci      0000-00-00 00:00 UTC  expired (rotated, replaced by id 6)\n" +
				"would prune 3 tokens that ended before 0000-00-00 00:00 UTC; nothing was deleted (--dry-run)\n",
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			name: "one", args: []string{"api", "token", "prune", "--older-than", "45d"},
			wantStdout: "ID  NAME  ENDED                 STATUS\n" +
				"5   ci    0000-00-00 00:00 UTC  expired (rotated, replaced by id 6)\n" +
				"pruned 1 token that ended before 0000-00-00 00:00 UTC\n",
			wantStderr: `haloyadm: tokens pruned by haloyadm (alice): 1 that ended before <time>: "ci" (id 5)` + "\n",
			wantLeft:   []string{"old-ci", "recent", "laptop", "gone", "ci"},
		},
		{
			name: "nothing", args: []string{"api", "token", "prune", "--older-than", "60d"},
			wantStdout: "nothing to prune: no token ended before 0000-00-00 00:00 UTC\n",
			wantLeft:   []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			name: "zero", args: []string{"api", "token", "prune", "--older-than", "0"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid --older-than \"0\"\n" +
				"haloyadm: only tokens that ended some time ago are pruned: the age must be positive\n" + bad,
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			name: "negative", args: []string{"api", "token", "prune", "--older-than=-30d"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid --older-than \"-30d\"\n" +
				"haloyadm: only tokens that ended some time ago are pruned: the age must be positive\n" + bad,
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			// a month typed as Go's minute
			name: "under_an_hour", args: []string{"api", "token", "prune", "--older-than", "1m"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid --older-than \"1m\"\n" +
				"haloyadm: it is under an hour: tokens that ended that recently are kept so that the list shows them, and in a Go duration 'm' means minutes, not months\n" +
				"haloyadm: hint: use at least --older-than 1h; for a month, --older-than 30d\n",
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			name: "unparseable", args: []string{"api", "token", "prune", "--older-than", "2w"}, wantCode: 2,
			wantStderr: "haloyadm: error: invalid --older-than \"2w\"\n" +
				"haloyadm: it is neither a number of days nor a Go duration\n" + bad,
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
		{
			name: "not_initialized", domain: "-", args: []string{"api", "token", "prune"}, wantCode: 2,
			wantStderr: "haloyadm: error: haloyadm is not initialized on this server\n" +
				"haloyadm: there is no config file \"/etc/haloy/haloyadm.yaml\"\n" +
				"haloyadm: hint: sudo haloyadm init --api-domain <api-domain>\n",
			wantLeft: []string{"old-ci", "recent", "laptop", "gone", "ci", "ci"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, hashes := pruneWorld(t, tt.domain)
			code, stdout, stderr := w.run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("haloyadm %q exit = %d, want %d", tt.args, code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantStdout, mask(stdout)); diff != "" {
				t.Errorf("haloyadm %q stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if diff := cmp.Diff(tt.wantStderr, rfc3339RE.ReplaceAllString(stderr, "<time>")); diff != "" {
				t.Errorf("haloyadm %q stderr mismatch (-want +got):\n%s", tt.args, diff)
			}
			list, _ := w.tokens.List(context.Background())
			var left []string
			for _, r := range list {
				left = append(left, r.Name)
			}
			if diff := cmp.Diff(tt.wantLeft, left); diff != "" {
				t.Errorf("tokens left after haloyadm %q mismatch (-want +got):\n%s", tt.args, diff)
			}
			for _, h := range hashes {
				if strings.Contains(stdout+stderr, h) || strings.Contains(stdout+stderr, core.APITokenPrefix) {
					t.Errorf("haloyadm %q shows a hash or a token", tt.args)
				}
			}
		})
	}
}

func TestAdminPruneJSON(t *testing.T) {
	for _, dry := range []bool{false, true} {
		w, _ := pruneWorld(t, "")
		args := []string{"api", "token", "prune", "--json"}
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, _ := w.run(t, args...)
		if code != 0 {
			t.Fatalf("haloyadm %q exit = %d", args, code)
		}
		var got []core.TokenInfo
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("haloyadm %q output %q: %v", args, out, err)
		}
		var brief [][3]any
		for _, g := range got {
			brief = append(brief, [3]any{g.ID, g.Name, g.Status})
		}
		want := [][3]any{{int64(1), "old-ci", "expired"}, {int64(4), "gone", "revoked"}, {int64(5), "ci", "expired"}}
		if diff := cmp.Diff(want, brief); diff != "" {
			t.Errorf("haloyadm %q mismatch (-want +got):\n%s", args, diff)
		}
		if got[1].RevokedBy != "haloyadm (bob)" || got[2].ReplacedBy != 6 || got[0].ExpiresAt == nil {
			t.Errorf("haloyadm %q = %+v, want each token's times and actors", args, got)
		}
		if strings.Contains(out, "hash") {
			t.Errorf("haloyadm %q shows a hash:\n%s", args, out)
		}
		if list, _ := w.tokens.List(context.Background()); (len(list) == 6) != dry {
			t.Errorf("haloyadm %q left %d tokens", args, len(list))
		}
	}
	// nothing: an empty array; an error: an empty array too, and exit 2
	w, _ := pruneWorld(t, "")
	if code, out, _ := w.run(t, "api", "token", "prune", "--json", "--older-than", "60d"); code != 0 || out != "[]\n" {
		t.Errorf("prune --json with nothing to prune = %d %q, want []", code, out)
	}
	if code, out, _ := w.run(t, "api", "token", "prune", "--json", "--older-than", "0"); code != 2 || out != "[]\n" {
		t.Errorf("prune --json --older-than 0 = %d %q, want exit 2 and []", code, out)
	}
}
