package httpserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/haloy-auth/haloy/core"
)

// The audit line's quoting takes its fast path only for printable ASCII
// without quotes or backslashes: a name made only of control characters,
// of quotes or of backslashes is still quoted as %q quotes it.
func TestDecisionLineQuotesEveryByte(t *testing.T) {
	for _, tt := range []struct{ name, app string }{{"\x00\n", "\t"}, {`"`, `\`}, {`""`, `\\`}, {"\x1f", "\x7f"}} {
		tok := core.TokenRecord{ID: 7, Name: tt.name}
		want := fmt.Sprintf("api: %s token=%q id=%d scope=%s app=%q %s", "GET /v1/x", tok.Name, tok.ID, core.ScopeRead, tt.app, "allowed")
		if got := decisionLine("GET /v1/x", tok, core.ScopeRead, tt.app, "allowed"); got != want {
			t.Errorf("decisionLine(%q, %q) = %q, want %q", tt.name, tt.app, got, want)
		}
	}
}

// The audit line is written for every API call and costs one allocation,
// however long its parts (the builder is sized for all of them at once).
func TestDecisionLineOneAllocation(t *testing.T) {
	route := "POST /v1/deploy/" + strings.Repeat("r", 40)
	tok := core.TokenRecord{ID: 1234567, Name: strings.Repeat("n", 64)}
	app := strings.Repeat("a", 63)
	decision := "refused: the token lacks scope deploy for app " + strings.Repeat("x", 40)
	allocs := testing.AllocsPerRun(100, func() {
		_ = decisionLine(route, tok, core.ScopeDeploy, app, decision)
	})
	if allocs != 1 {
		t.Errorf("decisionLine allocates %v times a call, want 1", allocs)
	}
}
