package porttest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// TokenHandles are two handles on one fresh, empty token store: Store and
// Verifier are one handle, OtherStore and OtherVerifier a second one, as a
// second process (haloyadm api token beside haloyadm serve) would hold.
type TokenHandles struct {
	Store         ports.TokenStore
	Verifier      ports.TokenVerifier
	OtherStore    ports.TokenStore
	OtherVerifier ports.TokenVerifier
}

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 123456789, time.UTC)

func hashOf(s string) core.TokenHash { return core.HashAPIToken("haloy_porttest_" + s) }

func wantKind(t *testing.T, call string, err error, kind core.Kind) *core.Error {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != kind {
		t.Fatalf("%s error = %#v, want a *core.Error of Kind %d", call, err, kind)
	}
	return ce
}

// TokenStore runs the contract of ports.TokenStore and ports.TokenVerifier
// against the handles that open returns.
func TokenStore(t *testing.T, open func(t *testing.T) TokenHandles) {
	ctx := context.Background()
	create := func(t *testing.T, s ports.TokenStore, name string, expires time.Time) core.TokenRecord {
		t.Helper()
		rec, err := s.Create(ctx, core.NewTokenRecord{Name: name, Hash: hashOf(name), CreatedAt: t0, ExpiresAt: expires})
		if err != nil {
			t.Fatalf("Create(%q) error = %v", name, err)
		}
		return rec
	}

	t.Run("create_and_list", func(t *testing.T) {
		h := open(t)
		empty, err := h.Store.List(ctx)
		if err != nil || empty == nil || len(empty) != 0 {
			t.Fatalf("List() on an empty store = %#v, %v, want an empty slice", empty, err)
		}
		a := create(t, h.Store, "ci-production", t0.Add(90*24*time.Hour))
		b := create(t, h.Store, "laptop", time.Time{})
		want := []core.TokenRecord{
			{ID: a.ID, Name: "ci-production", CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)},
			{ID: b.ID, Name: "laptop", CreatedAt: t0},
		}
		if a.ID == b.ID {
			t.Errorf("Create gave both tokens id %d", a.ID)
		}
		got, err := h.OtherStore.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List() mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("name_taken", func(t *testing.T) {
		h := open(t)
		create(t, h.Store, "ci", time.Time{})
		_, err := h.OtherStore.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("other"), CreatedAt: t0})
		ce := wantKind(t, `Create("ci") twice`, err, core.Conflict)
		if diff := cmp.Diff(*core.TokenNameTaken("ci"), *ce); diff != "" {
			t.Errorf("Create twice error mismatch (-want +got):\n%s", diff)
		}
		// a revoked token keeps its name, as the error's hint says
		if _, err := h.Store.Revoke(ctx, "ci", t0, "haloyadm"); err != nil {
			t.Fatal(err)
		}
		_, err = h.OtherStore.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("other"), CreatedAt: t0})
		wantKind(t, `Create("ci") after revoking ci`, err, core.Conflict)
	})

	t.Run("hash_taken", func(t *testing.T) {
		h := open(t)
		create(t, h.Store, "ci", time.Time{})
		_, err := h.Store.Create(ctx, core.NewTokenRecord{Name: "other", Hash: hashOf("ci"), CreatedAt: t0})
		wantKind(t, "Create with a taken hash", err, core.Conflict)
	})

	t.Run("revoke_by_name_and_id", func(t *testing.T) {
		h := open(t)
		a := create(t, h.Store, "a", time.Time{})
		b := create(t, h.Store, "b", time.Time{})
		got, err := h.Store.Revoke(ctx, "a", t0.Add(time.Hour), "haloyadm (root)")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(core.TokenRecord{ID: a.ID, Name: "a", CreatedAt: t0, RevokedAt: t0.Add(time.Hour), RevokedBy: "haloyadm (root)"}, got); diff != "" {
			t.Errorf("Revoke(%q) mismatch (-want +got):\n%s", "a", diff)
		}
		ref := strconv.FormatInt(b.ID, 10)
		if got, err := h.Store.Revoke(ctx, ref, t0.Add(2*time.Hour), "haloyadm"); err != nil || got.Name != "b" {
			t.Errorf("Revoke(%q) = %v, %v, want token b", ref, got, err)
		}
		// revoking again keeps the first time and actor: list shows when
		// it stopped working, and who stopped it
		again, err := h.OtherStore.Revoke(ctx, "a", t0.Add(5*time.Hour), `token "ops" (id 9)`)
		if err != nil || !again.RevokedAt.Equal(t0.Add(time.Hour)) || again.RevokedBy != "haloyadm (root)" {
			t.Errorf("Revoke(%q) again = %v, %v, want revoked at %v by haloyadm (root)", "a", again, err, t0.Add(time.Hour))
		}
	})

	// who made and who revoked each token is kept, and read back by every
	// handle: List, Lookup, Revoke's answer
	t.Run("actors", func(t *testing.T) {
		h := open(t)
		made, err := h.Store.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("ci"), CreatedAt: t0, CreatedBy: `token "ops" (id 1)`})
		if err != nil {
			t.Fatal(err)
		}
		if made.CreatedBy != `token "ops" (id 1)` || made.RevokedBy != "" {
			t.Errorf("Create() = %+v, want created by ops and not revoked", made)
		}
		succ, err := h.Store.Rotate(ctx, made.ID, core.NewTokenRecord{Hash: hashOf("ci-2"), CreatedAt: t0.Add(time.Minute), CreatedBy: core.RotationActor(made.ID)}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if succ.CreatedBy != "rotation of id 1 by itself" {
			t.Errorf("Rotate() created by = %q, want the rotation", succ.CreatedBy)
		}
		if _, err := h.OtherStore.Revoke(ctx, "ci", t0.Add(2*time.Minute), "itself"); err != nil {
			t.Fatal(err)
		}
		list, err := h.OtherStore.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]string
		for _, r := range list {
			got = append(got, [2]string{r.CreatedBy, r.RevokedBy})
		}
		want := [][2]string{{`token "ops" (id 1)`, "itself"}, {"rotation of id 1 by itself", "itself"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List() actors mismatch (-want +got):\n%s", diff)
		}
		if rec, ok, err := h.Verifier.Lookup(ctx, hashOf("ci-2")); err != nil || !ok || rec.CreatedBy != succ.CreatedBy || rec.RevokedBy != "itself" {
			t.Errorf("Lookup(ci-2) = %+v, %v, %v, want the actors", rec, ok, err)
		}
	})

	t.Run("grant_round_trip", func(t *testing.T) {
		h := open(t)
		grants := map[string]core.TokenGrant{
			"all":        {},
			"deploy-a":   {Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"a"}},
			"read-ab":    {Scopes: []core.Scope{core.ScopeRead}, Apps: []string{"a", "b"}},
			"admin":      {Scopes: []core.Scope{core.ScopeAdmin}},
			"read-admin": {Scopes: []core.Scope{core.ScopeRead, core.ScopeAdmin}},
		}
		for name, g := range grants {
			if _, err := h.Store.Create(ctx, core.NewTokenRecord{Name: name, Hash: hashOf(name), CreatedAt: t0, Grant: g}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := h.OtherStore.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			if diff := cmp.Diff(grants[r.Name], r.Grant); diff != "" {
				t.Errorf("List() grant of %q mismatch (-want +got):\n%s", r.Name, diff)
			}
			got, ok, err := h.OtherVerifier.Lookup(ctx, hashOf(r.Name))
			if err != nil || !ok {
				t.Fatalf("Lookup(%q) = %v, %v", r.Name, ok, err)
			}
			if diff := cmp.Diff(grants[r.Name], got.Grant); diff != "" {
				t.Errorf("Lookup() grant of %q mismatch (-want +got):\n%s", r.Name, diff)
			}
		}
	})

	t.Run("rotate", func(t *testing.T) {
		h := open(t)
		g := core.TokenGrant{Scopes: []core.Scope{core.ScopeDeploy}, Apps: []string{"shop"}}
		old, err := h.Store.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("ci"), CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour), Grant: g})
		if err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Hour)
		succ, err := h.Store.Rotate(ctx, old.ID, core.NewTokenRecord{Name: "ignored", Hash: hashOf("ci-2"), CreatedAt: at, ExpiresAt: at.Add(90 * 24 * time.Hour)}, at.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := core.TokenRecord{ID: succ.ID, Name: "ci", CreatedAt: at, ExpiresAt: at.Add(90 * 24 * time.Hour), Grant: g}
		if diff := cmp.Diff(want, succ); diff != "" {
			t.Errorf("Rotate() mismatch (-want +got):\n%s", diff)
		}
		// the old token keeps its record and works until the grace ends
		gotOld, ok, err := h.OtherVerifier.Lookup(ctx, hashOf("ci"))
		if err != nil || !ok {
			t.Fatalf("Lookup(old) = %v, %v", ok, err)
		}
		wantOld := old
		wantOld.ReplacedBy, wantOld.ExpiresAt = succ.ID, at.Add(10*time.Minute)
		if diff := cmp.Diff(wantOld, gotOld); diff != "" {
			t.Errorf("old token after Rotate mismatch (-want +got):\n%s", diff)
		}
		if st := gotOld.Status(at.Add(9 * time.Minute)); st != core.TokenActive {
			t.Errorf("old token's status in its grace period = %q, want active", st)
		}
		// a token is replaced once
		_, err = h.OtherStore.Rotate(ctx, old.ID, core.NewTokenRecord{Hash: hashOf("ci-3"), CreatedAt: at}, at.Add(10*time.Minute))
		wantKind(t, "Rotate of a replaced token", err, core.Conflict)
		// the name stays unique among current tokens
		_, err = h.Store.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("ci-4"), CreatedAt: at})
		wantKind(t, `Create("ci") after a rotation`, err, core.Conflict)
		// the successor rotates in turn; a short grace never lengthens a life
		third, err := h.Store.Rotate(ctx, succ.ID, core.NewTokenRecord{Hash: hashOf("ci-5"), CreatedAt: at}, at.Add(100*365*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := h.Verifier.Lookup(ctx, hashOf("ci-2")); !got.ExpiresAt.Equal(at.Add(90 * 24 * time.Hour)) {
			t.Errorf("expiry after a long grace = %v, want it unchanged at %v", got.ExpiresAt, at.Add(90*24*time.Hour))
		}
		// revoking the name revokes every token of it, and returns the current one
		rev, err := h.OtherStore.Revoke(ctx, "ci", at.Add(2*time.Minute), "haloyadm")
		if err != nil || rev.ID != third.ID {
			t.Fatalf("Revoke(ci) = %v, %v, want the current token %d", rev, err, third.ID)
		}
		for _, n := range []string{"ci", "ci-2", "ci-5"} {
			if got, _, _ := h.Verifier.Lookup(ctx, hashOf(n)); got.Status(at.Add(3*time.Minute)) != core.TokenRevoked {
				t.Errorf("token %s after Revoke(ci): %v, want revoked", n, got.Status(at.Add(3*time.Minute)))
			}
		}
		// revoked or unknown tokens are not rotated
		_, err = h.Store.Rotate(ctx, third.ID, core.NewTokenRecord{Hash: hashOf("ci-6"), CreatedAt: at.Add(time.Hour)}, at.Add(2*time.Hour))
		wantKind(t, "Rotate of a revoked token", err, core.Conflict)
		_, err = h.Store.Rotate(ctx, 999, core.NewTokenRecord{Hash: hashOf("ci-7"), CreatedAt: at}, at)
		wantKind(t, "Rotate of an unknown token", err, core.NotFound)
	})

	t.Run("revoke_unknown", func(t *testing.T) {
		h := open(t)
		_, err := h.Store.Revoke(ctx, "nope", t0, "haloyadm")
		ce := wantKind(t, `Revoke("nope")`, err, core.NotFound)
		if want := "there are no tokens"; ce.Why != want {
			t.Errorf("Revoke on empty store why = %q, want %q", ce.Why, want)
		}
		create(t, h.Store, "ci", time.Time{})
		create(t, h.Store, "laptop", time.Time{})
		for _, ref := range []string{"nope", "999", "CI"} {
			_, err = h.Store.Revoke(ctx, ref, t0, "haloyadm")
			ce = wantKind(t, fmt.Sprintf("Revoke(%q)", ref), err, core.NotFound)
			want := core.Error{Kind: core.NotFound, What: "unknown token " + strconv.Quote(ref), Why: "known tokens: ci, laptop", Fix: ce.Fix}
			if diff := cmp.Diff(want, *ce); diff != "" {
				t.Errorf("Revoke(%q) error mismatch (-want +got):\n%s", ref, diff)
			}
		}
	})

	t.Run("lookup", func(t *testing.T) {
		h := open(t)
		a := create(t, h.Store, "a", t0.Add(time.Hour))
		create(t, h.Store, "b", time.Time{})
		got, ok, err := h.Verifier.Lookup(ctx, hashOf("a"))
		if err != nil || !ok {
			t.Fatalf("Lookup(hash of a) = %v, %v, %v, want found", got, ok, err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("Lookup(hash of a) mismatch (-want +got):\n%s", diff)
		}
		if got, ok, err := h.Verifier.Lookup(ctx, hashOf("c")); ok || err != nil {
			t.Errorf("Lookup(unknown hash) = %v, %v, %v, want not found", got, ok, err)
		}
	})

	// a token revoked by 'haloyadm api token revoke' stops working on the
	// running server's next request
	t.Run("revoke_seen_by_other_handle", func(t *testing.T) {
		h := open(t)
		create(t, h.Store, "a", time.Time{})
		if got, ok, _ := h.Verifier.Lookup(ctx, hashOf("a")); !ok || got.Status(t0) != core.TokenActive {
			t.Fatalf("Lookup(hash of a) = %v, %v, want active", got, ok)
		}
		if _, err := h.OtherStore.Revoke(ctx, "a", t0, "haloyadm"); err != nil {
			t.Fatal(err)
		}
		got, ok, err := h.Verifier.Lookup(ctx, hashOf("a"))
		if err != nil || !ok || got.Status(t0) != core.TokenRevoked {
			t.Errorf("Lookup after revoke = %v, %v, %v, want revoked", got, ok, err)
		}
		create(t, h.OtherStore, "b", time.Time{})
		if _, ok, _ := h.Verifier.Lookup(ctx, hashOf("b")); !ok {
			t.Errorf("Lookup(hash of b) created through the other handle = not found, want found")
		}
	})

	t.Run("touch_once_a_minute", func(t *testing.T) {
		h := open(t)
		a := create(t, h.Store, "a", time.Time{})
		steps := []struct {
			at   time.Time
			want time.Time
		}{
			{t0.Add(time.Second), t0.Add(time.Second)},
			{t0.Add(30 * time.Second), t0.Add(time.Second)},
			{t0.Add(60 * time.Second), t0.Add(time.Second)},
			{t0.Add(61 * time.Second), t0.Add(61 * time.Second)},
		}
		for _, s := range steps {
			if err := h.Verifier.Touch(ctx, a.ID, s.at); err != nil {
				t.Fatal(err)
			}
			got, _, _ := h.OtherVerifier.Lookup(ctx, hashOf("a"))
			if !got.LastUsedAt.Equal(s.want) {
				t.Errorf("after Touch(%v) last used = %v, want %v", s.at, got.LastUsedAt, s.want)
			}
		}
		if err := h.Verifier.Touch(ctx, 4242, t0); err != nil {
			t.Errorf("Touch(unknown id) = %v, want nil", err)
		}
	})

	// haloyadm api token prune: only tokens that ended before the cut-off
	// go, strictly before it, on both sides of the exact instant
	t.Run("prune_ended_only", func(t *testing.T) {
		h := open(t)
		empty, err := h.Store.Prune(ctx, t0.Add(100*365*24*time.Hour))
		if err != nil || empty == nil || len(empty) != 0 {
			t.Fatalf("Prune() on an empty store = %#v, %v, want an empty slice", empty, err)
		}
		forever := create(t, h.Store, "forever", time.Time{})
		active := create(t, h.Store, "active", t0.Add(90*24*time.Hour))
		expired := create(t, h.Store, "expired", t0.Add(time.Hour))
		revoked := create(t, h.Store, "revoked", time.Time{})
		// revoked before it would have expired: it ended when revoked
		early := create(t, h.Store, "early", t0.Add(90*24*time.Hour))
		if _, err := h.Store.Revoke(ctx, "revoked", t0.Add(2*time.Hour), "haloyadm (alice)"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.Revoke(ctx, "early", t0.Add(3*time.Hour), "haloyadm (alice)"); err != nil {
			t.Fatal(err)
		}
		revoked.RevokedAt, revoked.RevokedBy = t0.Add(2*time.Hour), "haloyadm (alice)"
		early.RevokedAt, early.RevokedBy = t0.Add(3*time.Hour), "haloyadm (alice)"
		steps := []struct {
			cut  time.Time
			want []core.TokenRecord
		}{
			{t0, nil},
			{t0.Add(time.Hour), nil}, // expired ends at the cut: kept
			{t0.Add(time.Hour + time.Nanosecond), []core.TokenRecord{expired}},
			{t0.Add(2 * time.Hour), nil},
			{t0.Add(2*time.Hour + time.Nanosecond), []core.TokenRecord{revoked}},
			{t0.Add(3*time.Hour + time.Nanosecond), []core.TokenRecord{early}},
			// active expires past this cut, forever never ends
			{t0.Add(89 * 24 * time.Hour), nil},
			// a cut-off a century on: what never ends still stays
			{t0.Add(100 * 365 * 24 * time.Hour), []core.TokenRecord{active}},
		}
		for _, s := range steps {
			// what a dry run shows (the list, filtered by core's rule) is
			// what Prune deletes
			all, err := h.Store.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ended := []core.TokenRecord{}
			for _, r := range all {
				if r.EndedBefore(s.cut) {
					ended = append(ended, r)
				}
			}
			got, err := h.OtherStore.Prune(ctx, s.cut)
			if err != nil {
				t.Fatalf("Prune(%v) error = %v", s.cut, err)
			}
			want := s.want
			if want == nil {
				want = []core.TokenRecord{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Prune(%v) mismatch (-want +got):\n%s", s.cut, diff)
			}
			if diff := cmp.Diff(ended, got); diff != "" {
				t.Errorf("Prune(%v) and the list's EndedBefore disagree (-list +pruned):\n%s", s.cut, diff)
			}
		}
		list, err := h.Store.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]core.TokenRecord{forever}, list); diff != "" {
			t.Errorf("List() after pruning mismatch (-want +got):\n%s", diff)
		}
		for _, name := range []string{"expired", "revoked", "early"} {
			for _, v := range []ports.TokenVerifier{h.Verifier, h.OtherVerifier} {
				if got, ok, err := v.Lookup(ctx, hashOf(name)); ok || err != nil {
					t.Errorf("Lookup(%s) after pruning = %+v, %v, %v, want not found", name, got, ok, err)
				}
			}
		}
		if _, ok, _ := h.Verifier.Lookup(ctx, hashOf("forever")); !ok {
			t.Errorf("Lookup(forever) after pruning = not found, want found")
		}
	})

	// the running server's handle must not answer from what it knew
	// before: a token pruned through another handle is not found, even one
	// it had just accepted (the cut-off is in the future to reach one)
	t.Run("prune_seen_by_other_handle", func(t *testing.T) {
		h := open(t)
		now := time.Now()
		for i, name := range []string{"ci", "cd"} {
			if _, err := h.Store.Create(ctx, core.NewTokenRecord{Name: name, Hash: hashOf(name), CreatedAt: now, ExpiresAt: now.Add(time.Duration(i+1) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second answer may come from a cache
				if _, ok, err := h.Verifier.Lookup(ctx, hashOf(name)); !ok || err != nil {
					t.Fatalf("Lookup(%s) = %v, %v, want found", name, ok, err)
				}
			}
		}
		// through the other handle, then through the verifier's own
		steps := []struct {
			store ports.TokenStore
			name  string
			cut   time.Time
		}{{h.OtherStore, "ci", now.Add(90 * time.Minute)}, {h.Store, "cd", now.Add(3 * time.Hour)}}
		for _, s := range steps {
			if got, err := s.store.Prune(ctx, s.cut); err != nil || len(got) != 1 || got[0].Name != s.name {
				t.Fatalf("Prune() = %v, %v, want %s", got, err, s.name)
			}
			if got, ok, err := h.Verifier.Lookup(ctx, hashOf(s.name)); ok || err != nil {
				t.Errorf("Lookup(%s) after it was pruned = %+v, %v, %v, want not found", s.name, got, ok, err)
			}
		}
	})

	// an ended token held its name until pruned; ids are never reused,
	// so that an id in a log or a deployment record means one token
	t.Run("prune_frees_name", func(t *testing.T) {
		h := open(t)
		old := create(t, h.Store, "ci", t0.Add(time.Hour))
		_, err := h.Store.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("ci-2"), CreatedAt: t0.Add(2 * time.Hour)})
		wantKind(t, `Create("ci") while the expired ci is kept`, err, core.Conflict)
		if _, err := h.Store.Prune(ctx, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		again, err := h.OtherStore.Create(ctx, core.NewTokenRecord{Name: "ci", Hash: hashOf("ci-2"), CreatedAt: t0.Add(2 * time.Hour)})
		if err != nil {
			t.Fatalf("Create(%q) after pruning the old one: %v", "ci", err)
		}
		if again.ID <= old.ID {
			t.Errorf("Create after pruning id %d gave id %d, want a new id", old.ID, again.ID)
		}
		if got, ok, _ := h.Verifier.Lookup(ctx, hashOf("ci-2")); !ok || got.ID != again.ID {
			t.Errorf("Lookup(ci-2) = %+v, %v, want id %d", got, ok, again.ID)
		}
		// revoking the name reaches the new token alone
		if rev, err := h.Store.Revoke(ctx, "ci", t0.Add(3*time.Hour), "haloyadm"); err != nil || rev.ID != again.ID {
			t.Errorf("Revoke(ci) = %+v, %v, want id %d", rev, err, again.ID)
		}
	})

	// a rotation chain: the replaced token, past its grace, goes; its
	// successor stays and rotates on
	t.Run("prune_rotation_chain", func(t *testing.T) {
		h := open(t)
		old := create(t, h.Store, "ci", t0.Add(90*24*time.Hour))
		at := t0.Add(time.Hour)
		succ, err := h.Store.Rotate(ctx, old.ID, core.NewTokenRecord{Hash: hashOf("ci-2"), CreatedAt: at, ExpiresAt: at.Add(90 * 24 * time.Hour)}, at.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// in its grace period the old token still works: it stays
		if got, err := h.Store.Prune(ctx, at.Add(10*time.Minute)); err != nil || len(got) != 0 {
			t.Errorf("Prune(end of grace) = %v, %v, want nothing", got, err)
		}
		got, err := h.OtherStore.Prune(ctx, at.Add(2*time.Hour))
		if err != nil || len(got) != 1 || got[0].ID != old.ID || got[0].ReplacedBy != succ.ID {
			t.Fatalf("Prune(after the grace) = %+v, %v, want the old token, replaced by %d", got, err, succ.ID)
		}
		list, _ := h.Store.List(ctx)
		if diff := cmp.Diff([]core.TokenRecord{succ}, list); diff != "" {
			t.Errorf("List() after pruning the old token mismatch (-want +got):\n%s", diff)
		}
		if _, ok, _ := h.Verifier.Lookup(ctx, hashOf("ci")); ok {
			t.Errorf("Lookup(old) after pruning = found, want not found")
		}
		third, err := h.OtherStore.Rotate(ctx, succ.ID, core.NewTokenRecord{Hash: hashOf("ci-3"), CreatedAt: at.Add(3 * time.Hour)}, at.Add(4*time.Hour))
		if err != nil || third.Name != "ci" || third.ID <= succ.ID {
			t.Errorf("Rotate(successor) after pruning = %+v, %v, want a new ci", third, err)
		}
	})

	t.Run("concurrent_creates", func(t *testing.T) {
		h := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			s := h.Store
			if i%2 == 1 {
				s = h.OtherStore
			}
			wg.Go(func() {
				name := fmt.Sprintf("t%02d", i)
				_, err := s.Create(ctx, core.NewTokenRecord{Name: name, Hash: hashOf(name), CreatedAt: t0})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Create error = %v", err)
			}
		}
		got, _ := h.Store.List(ctx)
		if len(got) != 40 {
			t.Errorf("len(List()) = %d, want 40", len(got))
		}
	})
}

// DeploymentLog runs the contract of ports.DeploymentLog against the fresh,
// empty logs that open returns.
func DeploymentLog(t *testing.T, open func(t *testing.T) ports.DeploymentLog) {
	ctx := context.Background()
	rec := func(id, app string, at time.Time) core.DeploymentRecord {
		return core.DeploymentRecord{
			Deployment: core.Deployment{ID: id, App: app, Target: "production",
				Image:    core.Image{Repository: "ghcr.io/acme/" + app, Tag: "v1"},
				Domains:  []core.Domain{{Domain: app + ".example.com", Aliases: []string{"www." + app + ".example.com"}}},
				EnvNames: []string{"DATABASE_URL"}},
			TokenID: 7, TokenName: "ci", ReceivedAt: at,
		}
	}

	t.Run("history_newest_first", func(t *testing.T) {
		l := open(t)
		got, err := l.History(ctx, "web")
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("History(%q) on an empty log = %#v, %v, want an empty slice", "web", got, err)
		}
		a, b, c := rec("d1", "web", t0), rec("d2", "api", t0.Add(time.Second)), rec("d3", "web", t0.Add(2*time.Second))
		b.Domains, b.EnvNames, b.Target, b.Image.Tag = nil, nil, "", ""
		for _, r := range []core.DeploymentRecord{a, b, c} {
			if err := l.Record(ctx, r); err != nil {
				t.Fatalf("Record(%q) error = %v", r.ID, err)
			}
		}
		got, err = l.History(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]core.DeploymentRecord{c, a}, got); diff != "" {
			t.Errorf("History(%q) mismatch (-want +got):\n%s", "web", diff)
		}
		got, _ = l.History(ctx, "api")
		if diff := cmp.Diff([]core.DeploymentRecord{b}, got); diff != "" {
			t.Errorf("History(%q) mismatch (-want +got):\n%s", "api", diff)
		}
	})

	// 45,000 aliases, about 1 MB, were accepted and kept
	t.Run("oversized_record_refused", func(t *testing.T) {
		l := open(t)
		big := rec("d-big", "web", t0)
		aliases := make([]string, 45000)
		for i := range aliases {
			aliases[i] = fmt.Sprintf("a%d.example.com", i)
		}
		big.Domains = []core.Domain{{Domain: "web.example.com", Aliases: aliases}}
		wantKind(t, `Record of a 1 MB deployment`, l.Record(ctx, big), core.Invalid)
		if got, _ := l.History(ctx, "web"); len(got) != 0 {
			t.Errorf("History after a refused oversized record = %d records, want none", len(got))
		}
	})

	t.Run("duplicate_id", func(t *testing.T) {
		l := open(t)
		if err := l.Record(ctx, rec("d1", "web", t0)); err != nil {
			t.Fatal(err)
		}
		err := l.Record(ctx, rec("d1", "api", t0))
		ce := wantKind(t, `Record("d1") twice`, err, core.Conflict)
		if want := `deployment "d1" is already recorded`; ce.What != want {
			t.Errorf("Record twice what = %q, want %q", ce.What, want)
		}
		if got, _ := l.History(ctx, "api"); len(got) != 0 {
			t.Errorf("History(%q) after a refused record = %v, want empty", "api", got)
		}
	})

	t.Run("find_by_id", func(t *testing.T) {
		l := open(t)
		if _, found, err := l.Find(ctx, "d1"); found || err != nil {
			t.Fatalf("Find(%q) on an empty log = found %v, %v; want false, nil", "d1", found, err)
		}
		a, b := rec("d1", "web", t0), rec("d2", "api", t0.Add(time.Second))
		for _, r := range []core.DeploymentRecord{a, b} {
			if err := l.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, found, err := l.Find(ctx, "d2")
		if err != nil || !found {
			t.Fatalf("Find(%q) = found %v, %v; want true, nil", "d2", found, err)
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Errorf("Find(%q) mismatch (-want +got):\n%s", "d2", diff)
		}
		if _, found, _ := l.Find(ctx, "d3"); found {
			t.Errorf("Find(%q) found a deployment never recorded", "d3")
		}
	})
}
