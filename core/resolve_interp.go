package core

import (
	"regexp"

	"strings"
)

// envRef matches a reference to another env entry in a value: ${NAME}.
// Text such as ${not-a-name} is no reference and stays as written, as in
// Haloy.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// interpolate replaces the ${NAME} references of the literal values among
// entries by the resolved value of the entry NAME, recursively. A
// reference to the entry itself, a cycle, or a name that is no env entry of
// the target is an error for the referring entry, which is left out (Haloy
// leaves an undefined reference as literal text, which then reaches the app
// unnoticed). Values read from the environment or a secret provider are
// data and are never expanded. Entries whose referenced entry failed to
// resolve are left out without a second error.
func interpolate(entries []EnvVar, resolved []ResolvedEnvVar, where func(i int) string) ([]ResolvedEnvVar, []error) {
	byName := map[string]int{}
	for i, e := range entries {
		if _, dup := byName[e.Name]; !dup {
			byName[e.Name] = i
		}
	}
	value := map[string]*ResolvedEnvVar{}
	for i := range resolved {
		value[resolved[i].Name] = &resolved[i]
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	failed := map[string]bool{}
	var errs []error
	var expand func(name string, chain []string) bool
	expand = func(name string, chain []string) bool {
		if state[name] == done {
			return !failed[name]
		}
		i := byName[name]
		e := entries[i]
		r, ok := value[name]
		if !ok {
			failed[name] = true
			state[name] = done
			return false
		}
		if e.From != nil || !strings.Contains(string(e.Value), "${") {
			state[name] = done
			return true
		}
		state[name] = visiting
		chain = append(chain, name)
		fail := func(err error) bool {
			errs = append(errs, err)
			failed[name] = true
			state[name] = done
			return false
		}
		var refs []string
		for _, m := range envRef.FindAllStringSubmatch(string(e.Value), -1) {
			ref := m[1]
			if ref == name {
				return fail(&Error{Kind: Invalid, What: "env entry " + name + " refers to itself with ${" + ref + "} (" + where(i) + ")",
					Why: "${NAME} is replaced by the value of the env entry NAME", Fix: "remove ${" + ref + "} from its value"})
			}
			if _, ok := byName[ref]; !ok {
				names := make([]string, 0, len(byName))
				for n := range byName {
					names = append(names, n)
				}
				e := &Error{Kind: Invalid, What: "env entry " + name + " refers to ${" + ref + "}, which is no env entry of this target (" + where(i) + ")",
					Why: "${NAME} is replaced by the value of another env entry of the same target"}
				if c := Closest(ref, names); c != "" {
					e.Fix = "did you mean ${" + c + "}? or add an env entry named " + ref
				} else {
					e.Fix = "add an env entry named " + ref + " (its value may come from.env), or remove the reference"
				}
				return fail(e)
			}
			if state[ref] == visiting {
				cycle := append(chain[indexOf(chain, ref):], ref)
				return fail(&Error{Kind: Invalid, What: "env entries refer to each other in a cycle: " + strings.Join(cycle, " -> ") + " (" + where(i) + ")",
					Why: "a ${NAME} reference needs a value that does not depend on itself", Fix: "break the cycle: give one of them a plain value"})
			}
			if !expand(ref, chain) {
				failed[name] = true
				state[name] = done
				return false
			}
			refs = append(refs, ref)
		}
		r.Value = Secret(envRef.ReplaceAllStringFunc(string(e.Value), func(m string) string {
			return string(value[m[2:len(m)-1]].Value)
		}))
		if len(refs) > 0 {
			r.Source += ", with " + strings.Join(uniq(refs), ", ") + " filled in"
		}
		state[name] = done
		return true
	}
	for _, e := range entries {
		if _, ok := value[e.Name]; ok {
			expand(e.Name, nil)
		}
	}
	out := resolved[:0:0]
	for _, r := range resolved {
		if !failed[r.Name] {
			out = append(out, r)
		}
	}
	return out, errs
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		if !containsName(out, v) {
			out = append(out, v)
		}
	}
	return out
}
