package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBearer(t *testing.T) {
	tok := FormatAPIToken([APITokenBytes]byte{1, 2, 3})
	tests := []struct {
		name   string
		header string
		want   string
		wantOK bool
	}{
		{"canonical", "Bearer " + tok, tok, true},
		// RFC 9110 makes auth schemes case-insensitive
		{"lower_scheme", "bearer " + tok, tok, true},
		{"upper_scheme", "BEARER " + tok, tok, true},
		{"several_spaces", "Bearer   " + tok, tok, true},
		{"token68_padding", "Bearer abc==", "abc==", true},
		{"empty", "", "", false},
		{"scheme_only", "Bearer", "", false},
		{"scheme_and_space", "Bearer ", "", false},
		{"basic_scheme", "Basic dXNlcjpwYXNz", "", false},
		{"no_space", "Bearer" + tok, "", false},
		{"tab_separator", "Bearer\t" + tok, "", false},
		{"two_tokens", "Bearer " + tok + " " + tok, "", false},
		{"trailing_space", "Bearer " + tok + " ", "", false},
		{"only_padding", "Bearer ==", "", false},
		{"padding_inside", "Bearer ab=c", "", false},
		{"comma_params", "Bearer a,b", "", false},
		{"quoted", `Bearer "` + tok + `"`, "", false},
		{"non_ascii", "Bearer tökén", "", false},
		{"leading_space", " Bearer " + tok, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseBearer(tt.header)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseBearer(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer " + FormatAPIToken([APITokenBytes]byte{}))
	f.Add("bearer x")
	f.Add("Basic y")
	f.Fuzz(func(t *testing.T, h string) {
		got, ok := ParseBearer(h)
		if !ok {
			if got != "" {
				t.Fatalf("ParseBearer(%q) = %q, false, want empty credentials", h, got)
			}
			return
		}
		if got == "" || strings.ContainsAny(got, " \t\r\n") || !strings.HasSuffix(h, got) {
			t.Fatalf("ParseBearer(%q) = %q, true: not a token68 taken from the header's end", h, got)
		}
		if !strings.EqualFold(h[:7], "bearer ") {
			t.Fatalf("ParseBearer(%q) accepted another scheme", h)
		}
	})
}

func TestFormatAPIToken(t *testing.T) {
	var b [APITokenBytes]byte
	for i := range b {
		b[i] = byte(i * 7)
	}
	tok := FormatAPIToken(b)
	if want := len(APITokenPrefix) + 43; len(tok) != want {
		t.Errorf("len(FormatAPIToken(...)) = %d, want %d", len(tok), want)
	}
	if !LooksLikeAPIToken(tok) {
		t.Errorf("LooksLikeAPIToken(%q) = false, want true", tok)
	}
	if HashAPIToken(tok) == HashAPIToken(tok+"x") {
		t.Errorf("HashAPIToken gives one hash for two tokens")
	}
}

func TestLooksLikeAPIToken(t *testing.T) {
	good := FormatAPIToken([APITokenBytes]byte{9})
	tests := []struct {
		in   string
		want bool
	}{
		{good, true},
		{good + "abc", true},
		{"", false},
		{"haloy_", false},
		{good[:len(good)-1], false},
		{"HALOY_" + good[6:], false},
		{"xhaloy_" + good[6:], false},
		{good[:20] + "+" + good[21:], false},
		{good[:20] + "=" + good[21:], false},
		{"abc123token456", false},
	}
	for _, tt := range tests {
		if got := LooksLikeAPIToken(tt.in); got != tt.want {
			t.Errorf("LooksLikeAPIToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseTokenLifetime(t *testing.T) {
	tests := []struct {
		in        string
		want      time.Duration
		wantNever bool
		wantErr   bool
	}{
		{"90d", 90 * 24 * time.Hour, false, false},
		{"1d", 24 * time.Hour, false, false},
		{"12h", 12 * time.Hour, false, false},
		{"30m", 30 * time.Minute, false, false},
		{"1s", time.Second, false, false},
		{"1h30m", 90 * time.Minute, false, false},
		{"never", 0, true, false},
		{"", 0, false, true},
		{"0d", 0, false, true},
		{"0s", 0, false, true},
		{"-5h", 0, false, true},
		{"90", 0, false, true},
		{"90days", 0, false, true},
		{"1w", 0, false, true},
		{"Never", 0, false, true},
		{"123456d", 0, false, true},
	}
	for _, tt := range tests {
		d, never, err := ParseTokenLifetime(tt.in)
		if d != tt.want || never != tt.wantNever || (err != nil) != tt.wantErr {
			t.Errorf("ParseTokenLifetime(%q) = %v, %v, %v, want %v, %v, error %v", tt.in, d, never, err, tt.want, tt.wantNever, tt.wantErr)
		}
		var ce *Error
		if err != nil && (!errors.As(err, &ce) || ce.Kind != Invalid || !strings.Contains(ce.What, `"`+tt.in+`"`)) {
			t.Errorf("ParseTokenLifetime(%q) error = %#v, want a *Error of Kind Invalid quoting the value", tt.in, err)
		}
	}
}

func TestCheckTokenName(t *testing.T) {
	tests := []struct {
		in      string
		wantWhy string
	}{
		{"ci-production", ""},
		{"Laptop.2026_a", ""},
		{strings.Repeat("a", 64), ""},
		{"", "the name is empty"},
		{strings.Repeat("a", 65), "it is 65 characters long; the limit is 64"},
		// a leading letter keeps names apart from numeric ids in 'revoke <id|name>'
		{"42", "it must start with a letter"},
		{"-x", "it must start with a letter"},
		{"a b", "it contains ' '"},
		{"a/b", "it contains '/'"},
		{"é", "it must start with a letter"},
		{"aé", "it contains 'é'"},
	}
	for _, tt := range tests {
		err := CheckTokenName(tt.in)
		got := ""
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != Invalid || ce.Fix == "" {
				t.Fatalf("CheckTokenName(%q) = %#v, want a *Error of Kind Invalid with a fix", tt.in, err)
			}
			got = ce.Why
		}
		if got != tt.wantWhy {
			t.Errorf("CheckTokenName(%q) why = %q, want %q", tt.in, got, tt.wantWhy)
		}
	}
}

func TestAPITokenStatus(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		tok  TokenRecord
		now  time.Time
		want TokenStatus
	}{
		{"never_expires", TokenRecord{}, t0, TokenActive},
		{"before_expiry", TokenRecord{ExpiresAt: t0.Add(time.Second)}, t0, TokenActive},
		{"at_expiry", TokenRecord{ExpiresAt: t0}, t0, TokenExpired},
		{"after_expiry", TokenRecord{ExpiresAt: t0}, t0.Add(time.Hour), TokenExpired},
		{"revoked", TokenRecord{RevokedAt: t0}, t0, TokenRevoked},
		// revoked wins: list shows why the token stopped, not that it would have anyway
		{"revoked_and_expired", TokenRecord{RevokedAt: t0, ExpiresAt: t0}, t0.Add(time.Hour), TokenRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.Status(tt.now); got != tt.want {
				t.Errorf("Status(%v) = %q, want %q", tt.now, got, tt.want)
			}
		})
	}
}

func TestNeedsTouch(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		last, now time.Time
		want      bool
	}{
		{time.Time{}, t0, true},
		{t0, t0.Add(59 * time.Second), false},
		{t0, t0.Add(time.Minute), true},
	}
	for _, tt := range tests {
		if got := (TokenRecord{LastUsedAt: tt.last}).NeedsTouch(tt.now); got != tt.want {
			t.Errorf("NeedsTouch(last %v, now %v) = %v, want %v", tt.last, tt.now, got, tt.want)
		}
	}
}

func TestDefaultTokenName(t *testing.T) {
	got := DefaultTokenName(time.Date(2026, 11, 27, 2, 45, 30, 0, time.FixedZone("x", 3600)))
	if diff := cmp.Diff("token-20261127-014530", got); diff != "" {
		t.Errorf("DefaultTokenName mismatch (-want +got):\n%s", diff)
	}
	if err := CheckTokenName(got); err != nil {
		t.Errorf("CheckTokenName(%q) = %v, want nil", got, err)
	}
}

func TestUnknownToken(t *testing.T) {
	var many []TokenRecord
	for i := range 23 {
		many = append(many, TokenRecord{Name: fmt.Sprintf("t%d", i)})
	}
	tests := []struct {
		name    string
		known   []TokenRecord
		wantWhy string
	}{
		{"none", nil, "there are no tokens"},
		{"two", many[:2], "known tokens: t0, t1"},
		{"twenty", many[:20], "known tokens: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16, t17, t18, t19"},
		{"capped", many, "known tokens: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t16, t17, t18, t19, and 3 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := &Error{Kind: NotFound, What: `unknown token "x"`, Why: tt.wantWhy, Fix: "run 'haloyadm api token list' for ids and names"}
			if diff := cmp.Diff(want, UnknownToken("x", tt.known)); diff != "" {
				t.Errorf("UnknownToken mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A lifetime too large is said to be too large (issue 16: 999999d was
// "neither days nor a duration").
func TestParseTokenLifetimeTooLong(t *testing.T) {
	for _, s := range []string{"999999d", "3651d", "99999999h", "99999999999999999999h", "87601h"} {
		_, _, err := ParseTokenLifetime(s)
		e, ok := err.(*Error)
		if !ok || e.Why != "it is longer than the most a token may live, 3650d (ten years)" {
			t.Errorf("ParseTokenLifetime(%q) = %v, want too long", s, err)
		}
	}
	if d, _, err := ParseTokenLifetime("3650d"); err != nil || d != MaxTokenLifetime {
		t.Errorf("ParseTokenLifetime(3650d) = %v, %v; want %v", d, err, MaxTokenLifetime)
	}
	if _, _, err := ParseTokenLifetime("90x"); err == nil || err.(*Error).Why != "it is neither a number of days nor a Go duration" {
		t.Errorf("ParseTokenLifetime(90x) = %v, want neither", err)
	}
}

// TestTokenInfoActors: who made and revoked a token is shown, "unknown"
// for tokens recorded before it was kept, and revoked_by only once revoked.
func TestTokenInfoActors(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name                   string
		rec                    TokenRecord
		wantCreated, wantRevok string
	}{
		{"recorded", TokenRecord{CreatedBy: "haloyadm (root)", RevokedBy: `token "ops" (id 1)`, RevokedAt: at}, "haloyadm (root)", `token "ops" (id 1)`},
		{"not_revoked", TokenRecord{CreatedBy: "haloyadm"}, "haloyadm", ""},
		{"before_it_was_kept", TokenRecord{RevokedAt: at}, "unknown", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rec.Info(at)
			if got.CreatedBy != tt.wantCreated || got.RevokedBy != tt.wantRevok {
				t.Errorf("Info() actors = %q, %q, want %q, %q", got.CreatedBy, got.RevokedBy, tt.wantCreated, tt.wantRevok)
			}
		})
	}
	for user, want := range map[string]string{"root": "haloyadm (root)", "": "haloyadm", "a b": "haloyadm", "x\x1b[2J": "haloyadm", "deploy-bot_1": "haloyadm (deploy-bot_1)"} {
		if got := LocalActor(user); got != want {
			t.Errorf("LocalActor(%q) = %q, want %q", user, got, want)
		}
	}
}

func TestParsePruneAge(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantWhy string // "": no error
	}{
		{"30d", 30 * 24 * time.Hour, ""},
		{"1d", 24 * time.Hour, ""},
		{"12h", 12 * time.Hour, ""},
		{"1h", time.Hour, ""},
		{"3650d", MaxTokenLifetime, ""},
		{"59m59s", 0, "it is under an hour: tokens that ended that recently are kept so that the list shows them, and in a Go duration 'm' means minutes, not months"},
		// a month mistyped as Go's minute
		{"1m", 0, "it is under an hour: tokens that ended that recently are kept so that the list shows them, and in a Go duration 'm' means minutes, not months"},
		{"0", 0, "only tokens that ended some time ago are pruned: the age must be positive"},
		{"0d", 0, "only tokens that ended some time ago are pruned: the age must be positive"},
		{"-5h", 0, "only tokens that ended some time ago are pruned: the age must be positive"},
		{"-30d", 0, "only tokens that ended some time ago are pruned: the age must be positive"},
		{"3651d", 0, "it is longer than the most a token may live, 3650d (ten years)"},
		{"99999999999h", 0, "it is longer than the most a token may live, 3650d (ten years)"},
		// as --expires: no weeks, no years, no "never"
		{"2w", 0, "it is neither a number of days nor a Go duration"},
		{"1y", 0, "it is neither a number of days nor a Go duration"},
		{"never", 0, "it is neither a number of days nor a Go duration"},
		{"", 0, "it is neither a number of days nor a Go duration"},
	}
	for _, tt := range tests {
		d, err := ParsePruneAge(tt.in)
		if tt.wantWhy == "" {
			if err != nil || d != tt.want {
				t.Errorf("ParsePruneAge(%q) = %v, %v, want %v", tt.in, d, err, tt.want)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Kind != Invalid || ce.What != "invalid --older-than "+strconv.Quote(tt.in) || ce.Why != tt.wantWhy || ce.Fix == "" || d != 0 {
			t.Errorf("ParsePruneAge(%q) = %v, %#v, want a *Error of Kind Invalid saying %q", tt.in, d, err, tt.wantWhy)
		}
	}
}

func TestTokenEnded(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	tests := []struct {
		name string
		rec  TokenRecord
		want time.Time
	}{
		{"never_ends", TokenRecord{}, time.Time{}},
		{"expires", TokenRecord{ExpiresAt: h(2)}, h(2)},
		{"revoked", TokenRecord{RevokedAt: h(3)}, h(3)},
		{"revoked_before_expiry", TokenRecord{RevokedAt: h(1), ExpiresAt: h(2)}, h(1)},
		{"revoked_after_expiry", TokenRecord{RevokedAt: h(5), ExpiresAt: h(2)}, h(2)},
		{"revoked_at_expiry", TokenRecord{RevokedAt: h(2), ExpiresAt: h(2)}, h(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.EndedAt(); !got.Equal(tt.want) {
				t.Errorf("EndedAt() = %v, want %v", got, tt.want)
			}
			// strictly before the cut: a token ending at the cut stays
			for _, cut := range []time.Time{h(-1), h(1), h(2), h(3), h(100)} {
				want := !tt.want.IsZero() && tt.want.Before(cut)
				if got := tt.rec.EndedBefore(cut); got != want {
					t.Errorf("EndedBefore(%v) = %v, want %v", cut, got, want)
				}
			}
			if !tt.want.IsZero() && (tt.rec.EndedBefore(tt.want) || !tt.rec.EndedBefore(tt.want.Add(time.Nanosecond))) {
				t.Errorf("EndedBefore around %v: want false at it, true a nanosecond after", tt.want)
			}
		})
	}
}
