package core_test

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/haloy-auth/haloy/core"
)

func TestResolveEnvInterpolates(t *testing.T) {
	lit := func(n, v string) core.EnvVar { return core.EnvVar{Name: n, Value: core.Secret(v)} }
	fromEnv := func(n, v string) core.EnvVar { return core.EnvVar{Name: n, From: &core.ValueFrom{Env: v}} }
	env := core.Env{{Lookup: core.MapLookup(map[string]string{"DB_PASS": "s3cret", "RAW": "x${HOST}y"})}}
	where := func(i int) string { return "haloy.yaml:" + strconv.Itoa(10+i) }
	tests := []struct {
		name    string
		entries []core.EnvVar
		want    map[string]string
		wantErr []string
	}{
		{"chain_and_secret", []core.EnvVar{lit("URL", "postgres://app:${PASS}@${HOST}/db"), lit("HOST", "${DOMAIN}:5432"), lit("DOMAIN", "db.internal"), fromEnv("PASS", "DB_PASS")},
			map[string]string{"URL": "postgres://app:s3cret@db.internal:5432/db", "HOST": "db.internal:5432", "DOMAIN": "db.internal", "PASS": "s3cret"}, nil},
		// a value from the environment is data: never expanded
		{"from_env_not_expanded", []core.EnvVar{fromEnv("R", "RAW"), lit("HOST", "h")}, map[string]string{"R": "x${HOST}y", "HOST": "h"}, nil},
		// not a variable name: no reference, kept as written (as in Haloy)
		{"not_a_name", []core.EnvVar{lit("A", "${not-a-name} $HOME")}, map[string]string{"A": "${not-a-name} $HOME"}, nil},
		{"self", []core.EnvVar{lit("A", "x${A}")}, map[string]string{},
			[]string{"env entry A refers to itself with ${A} (haloy.yaml:10): ${NAME} is replaced by the value of the env entry NAME"}},
		{"cycle", []core.EnvVar{lit("A", "${B}"), lit("B", "${C}"), lit("C", "${A}"), lit("D", "ok")}, map[string]string{"D": "ok"},
			[]string{"env entries refer to each other in a cycle: A -> B -> C -> A (haloy.yaml:12): a ${NAME} reference needs a value that does not depend on itself"}},
		// Haloy leaves ${UNDEFINED} as text, which reaches the app unnoticed
		{"undefined", []core.EnvVar{lit("A", "${HOTS}"), lit("HOST", "h")}, map[string]string{"HOST": "h"},
			[]string{"env entry A refers to ${HOTS}, which is no env entry of this target (haloy.yaml:10): ${NAME} is replaced by the value of another env entry of the same target"}},
		// the failure of a referenced entry is reported once, by that entry
		{"referenced_entry_failed", []core.EnvVar{lit("A", "${P}"), fromEnv("P", "UNSET")}, map[string]string{},
			[]string{"env entry P: from.env names UNSET (haloy.yaml:11), which is not set: it is unset or empty in the environment and in every .env file haloy reads"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := core.ResolveEnv(tt.entries, where, "haloy.yaml", env, core.SecretInputs{})
			vals := map[string]string{}
			for _, r := range got {
				vals[r.Name] = r.Value.Reveal()
			}
			if diff := cmp.Diff(tt.want, vals); diff != "" {
				t.Errorf("ResolveEnv values mismatch (-want +got):\n%s", diff)
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if diff := cmp.Diff(tt.wantErr, msgs); diff != "" {
				t.Errorf("ResolveEnv errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveEnvInterpolationReport: the source names the entries filled in,
// only when there are some, and an unknown reference's fix suggests the
// closest entry only when one is close.
func TestResolveEnvInterpolationReport(t *testing.T) {
	lit := func(n, v string) core.EnvVar { return core.EnvVar{Name: n, Value: core.Secret(v)} }
	where := func(i int) string { return "haloy.yaml:" + strconv.Itoa(10+i) }
	entries := []core.EnvVar{lit("RAW", "${not-a-name}"), lit("HOST", "h"), lit("URL", "${HOST}/x"),
		lit("TYPO", "${HOTS}"), lit("FAR", "${ZZZZZZZZ}")}
	got, errs := core.ResolveEnv(entries, where, "haloy.yaml", nil, core.SecretInputs{})
	sources := map[string]string{}
	for _, r := range got {
		sources[r.Name] = r.Source
	}
	// "${" without a reference fills nothing in
	wantSources := map[string]string{"RAW": "literal value in haloy.yaml:10", "HOST": "literal value in haloy.yaml:11",
		"URL": "literal value in haloy.yaml:12, with HOST filled in"}
	if diff := cmp.Diff(wantSources, sources); diff != "" {
		t.Errorf("ResolveEnv sources mismatch (-want +got):\n%s", diff)
	}
	var fixes []string
	for _, err := range errs {
		e, ok := err.(*core.Error)
		if !ok {
			t.Fatalf("ResolveEnv error %v is not a *core.Error", err)
		}
		fixes = append(fixes, e.Fix)
	}
	wantFixes := []string{"did you mean ${HOST}? or add an env entry named HOTS",
		"add an env entry named ZZZZZZZZ (its value may come from.env), or remove the reference"}
	if diff := cmp.Diff(wantFixes, fixes); diff != "" {
		t.Errorf("ResolveEnv fixes mismatch (-want +got):\n%s", diff)
	}
}
