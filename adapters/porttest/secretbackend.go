package porttest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/internal/leakscan"
	"github.com/haloy-auth/haloy/ports"
)

// SecretBackend describes one secret backend to the contract every
// ports.SecretSource meets (SecretBackendContract).
type SecretBackend struct {
	// Provider is the backend's name under secret_providers, e.g. "pass".
	Provider string
	// Settings are the settings of a source that points at item, e.g.
	// {"path": item}.
	Settings func(item string) map[string]string
	// Lists are list-valued settings every source has (exec's command);
	// nil for none.
	Lists map[string][]string
	// Required is a setting (in Settings or Lists) without which the
	// source is misconfigured.
	Required string
	// Extra are keys the backend adds to every item's fields beyond the
	// ones stored (e.g. Doppler's DOPPLER_PROJECT); nil for none.
	Extra []string
	// New returns a fixture whose source holds items: item name -> key ->
	// value.
	New func(t *testing.T, items SecretItems) SecretFixture
	// ToolMissing returns a source whose program is not installed; nil
	// when the backend runs no program.
	ToolMissing func(t *testing.T) ports.SecretSource
	// Slow returns a source, holding items, whose backend does not answer
	// within timeout; nil when nothing can hang (decryption in process).
	Slow func(t *testing.T, items SecretItems, timeout time.Duration) ports.SecretSource
}

// SecretFixture is a source under test and what the contract observes of it.
type SecretFixture struct {
	// Source is the port under test.
	Source ports.SecretSource
	// Reads returns how many times the backend was asked so far (program
	// runs, file decryptions).
	Reads func() int
	// Argv returns the argv of every program run so far; nil when the
	// backend runs no program.
	Argv func() [][]string
	// SignOut makes the backend answer as when its user is not signed in
	// (no session, no key to decrypt with).
	SignOut func()
}

// SecretBackendContract runs the contract of ports.SecretSource for b:
// every field of an item in one read, settings checked without I/O, safe
// concurrent calls, what/why/fix errors for a missing item, a signed-out
// user, a missing program and a timeout, and no value in any program's
// argv or in any error.
func SecretBackendContract(t *testing.T, b SecretBackend) {
	items := SecretItems{
		"haloy-api-tokens": {"production": "tok-prod-1111aaaa", "staging": "tok-stage-2222bbbb"},
		"app-secrets":      {"haloy-api": "tok-api-3333cccc", "DATABASE_URL": "postgres://u:pw-4444dddd@db/app"},
	}
	src := func(item string) core.SecretSourceRef {
		return core.SecretSourceRef{Provider: b.Provider, Name: "api-tokens", Settings: b.Settings(item), Lists: maps.Clone(b.Lists)}
	}
	at := "secret_providers." + b.Provider + ".api-tokens"
	ctx := context.Background()
	// scan registers every value, and fails the test if any shows in a
	// program's argv or an error.
	scan := func(t *testing.T, f SecretFixture) *leakscan.Scan {
		s := leakscan.New(t)
		for item, fields := range items {
			for k, v := range fields {
				s.Secret(item+"."+k, v)
			}
		}
		if f.Argv != nil {
			t.Cleanup(func() {
				for _, argv := range f.Argv() {
					s.Output("argv", []byte(strings.Join(argv, " ")))
				}
			})
		}
		return s
	}
	// scanArgv scans the argv of f's programs, if it runs any.
	scanArgv := func(t *testing.T, f SecretFixture) {
		if f.Argv != nil {
			scan(t, f)
		}
	}
	fieldsOf := func(t *testing.T, s ports.SecretSource, item string) map[string]string {
		t.Helper()
		got, err := s.Fields(ctx, src(item))
		if err != nil {
			t.Fatalf("Fields(%s) error: %v", item, err)
		}
		out := map[string]string{}
		for k, v := range got {
			if !slices.Contains(b.Extra, k) {
				out[k] = v.Reveal()
			}
		}
		return out
	}

	t.Run("fields_of_an_item", func(t *testing.T) {
		f := b.New(t, items)
		scanArgv(t, f)
		for _, item := range []string{"haloy-api-tokens", "app-secrets"} {
			got := fieldsOf(t, f.Source, item)
			if !maps.Equal(got, items[item]) {
				t.Errorf("Fields(%s) keys = %v, want %v (values not shown)", item, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(items[item])))
			}
		}
	})
	t.Run("one_read_per_call", func(t *testing.T) {
		f := b.New(t, items)
		scanArgv(t, f)
		fieldsOf(t, f.Source, "haloy-api-tokens")
		if got := f.Reads(); got != 1 {
			t.Errorf("after one Fields call the backend was read %d times, want 1", got)
		}
		fieldsOf(t, f.Source, "app-secrets")
		if got := f.Reads(); got != 2 {
			t.Errorf("after two Fields calls the backend was read %d times, want 2", got)
		}
	})
	t.Run("concurrent_calls", func(t *testing.T) {
		// The resolver fetches every item at once; nothing may be shared
		// between calls (run with -race).
		f := b.New(t, items)
		scanArgv(t, f)
		names := []string{"haloy-api-tokens", "app-secrets", "haloy-api-tokens", "app-secrets", "haloy-api-tokens", "app-secrets"}
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, n := range names {
			wg.Go(func() {
				got, err := f.Source.Fields(ctx, src(n))
				if err == nil && got[slices.Sorted(maps.Keys(items[n]))[0]].Reveal() != items[n][slices.Sorted(maps.Keys(items[n]))[0]] {
					err = fmt.Errorf("Fields(%s) returned another item's fields", n)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Error(err)
		}
		if got := f.Reads(); got != len(names) {
			t.Errorf("%d Fields calls read the backend %d times, want %d", len(names), got, len(names))
		}
	})
	t.Run("describe", func(t *testing.T) {
		f := b.New(t, items)
		got, err := f.Source.Describe(src("haloy-api-tokens"))
		if err != nil || !strings.Contains(got, "haloy-api-tokens") {
			t.Errorf("Describe() = %q, %v, want a label naming haloy-api-tokens", got, err)
		}
		if n := f.Reads(); n != 0 {
			t.Errorf("Describe read the backend %d times, want 0 (no I/O)", n)
		}
	})
	settingErr := func(t *testing.T, f SecretFixture, ref core.SecretSourceRef, wantWhat string) {
		t.Helper()
		settings := ref.Settings
		_, derr := f.Source.Describe(ref)
		_, ferr := f.Source.Fields(ctx, ref)
		for call, err := range map[string]error{"Describe": derr, "Fields": ferr} {
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != core.Invalid || ce.What != wantWhat || ce.Why == "" || ce.Fix == "" {
				t.Errorf("%s(%v) error = %#v, want Kind Invalid, What %q, a why and a fix", call, settings, err, wantWhat)
			}
		}
		if n := f.Reads(); n != 0 {
			t.Errorf("a misconfigured source read the backend %d times, want 0", n)
		}
	}
	t.Run("describe_no_"+b.Required, func(t *testing.T) {
		f := b.New(t, items)
		ref := src("haloy-api-tokens")
		delete(ref.Settings, b.Required)
		delete(ref.Lists, b.Required)
		settingErr(t, f, ref, at+" has no "+b.Required)
	})
	t.Run("describe_unknown_setting", func(t *testing.T) {
		f := b.New(t, items)
		ref := src("haloy-api-tokens")
		ref.Settings["zzzzzz"] = "x"
		settingErr(t, f, ref, `unknown setting "zzzzzz" in `+at)
	})
	// wantErr checks a failure's kind, that it says what, why and how to
	// fix, and that it names what is needed (an item name, a program).
	wantErr := func(t *testing.T, err error, kind core.Kind, mentions string) {
		t.Helper()
		var ce *core.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error = %v, want *core.Error", err)
		}
		if ce.Kind != kind || ce.What == "" || ce.Why == "" || ce.Fix == "" {
			t.Errorf("error = %#v, want Kind %v with what, why and fix", ce, kind)
		}
		if text := ce.What + " " + ce.Why + " " + ce.Fix; !strings.Contains(text, mentions) {
			t.Errorf("error %q does not mention %q", text, mentions)
		}
	}
	t.Run("item_not_found", func(t *testing.T) {
		f := b.New(t, items)
		s := scan(t, f)
		_, err := f.Source.Fields(ctx, src("no-such-item"))
		wantErr(t, err, core.NotFound, "no-such-item")
		s.Output("error", []byte(fmt.Sprintf("%v %#v", err, err)))
	})
	t.Run("not_signed_in", func(t *testing.T) {
		f := b.New(t, items)
		s := scan(t, f)
		f.SignOut()
		_, err := f.Source.Fields(ctx, src("haloy-api-tokens"))
		wantErr(t, err, core.Missing, "")
		s.Output("error", []byte(fmt.Sprintf("%v %#v", err, err)))
	})
	if b.ToolMissing != nil {
		t.Run("tool_missing", func(t *testing.T) {
			s := b.ToolMissing(t)
			_, err := s.Fields(ctx, src("haloy-api-tokens"))
			wantErr(t, err, core.Missing, "")
		})
	}
	if b.Slow != nil {
		t.Run("timeout", func(t *testing.T) {
			s := b.Slow(t, items, 300*time.Millisecond)
			start := time.Now()
			_, err := s.Fields(ctx, src("haloy-api-tokens"))
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Fields() took %v, want the timeout to stop it", d)
			}
			wantErr(t, err, core.Unavailable, "300ms")
		})
		t.Run("cancelled", func(t *testing.T) {
			s := b.Slow(t, items, time.Minute)
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.Fields(ctx, src("haloy-api-tokens")); err == nil {
				t.Error("Fields(cancelled ctx) error = nil, want an error")
			}
		})
	}
}
