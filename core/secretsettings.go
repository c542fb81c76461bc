package core

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// CheckSettings checks a secret source's settings against what its backend
// takes: every required setting present and not blank, nothing unknown,
// and each a string unless it is one of lists (settings whose value is a
// list of strings, in src.Lists). backend names the backend for people,
// e.g. "pass". Returns a *Error of Kind Invalid naming the source, with
// the closest known setting for a misspelt one.
func CheckSettings(src SecretSourceRef, backend string, required, optional []string, lists ...string) error {
	at := "secret_providers." + src.Provider + "." + src.Name
	known := append(slices.Clone(required), optional...)
	keys := make([]string, 0, len(src.Settings)+len(src.Lists))
	for k := range src.Settings {
		keys = append(keys, k)
	}
	for k := range src.Lists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, isList := src.Lists[k]
		if slices.Contains(known, k) {
			if isList != slices.Contains(lists, k) {
				kind, example := "a string", k+": <value>"
				if !isList {
					kind, example = "a list of strings", k+": [program, arg]"
				}
				return &Error{Kind: Invalid, What: at + "." + k + " must be " + kind,
					Why: "a " + backend + " source's " + k + " is " + kind, Fix: "write it as " + example}
			}
			continue
		}
		e := &Error{Kind: Invalid, What: "unknown setting " + strconv.Quote(k) + " in " + at,
			Why: "a " + backend + " source takes " + takes(required, optional)}
		if c := Closest(k, known); c != "" {
			e.Fix = "did you mean " + strconv.Quote(c) + "?"
		} else {
			e.Fix = "remove " + k + " from " + at
		}
		return e
	}
	for _, k := range required {
		if strings.TrimSpace(src.Settings[k]) == "" && len(src.Lists[k]) == 0 {
			example := k + ": <value>"
			if slices.Contains(lists, k) {
				example = k + ": [program, arg]"
			}
			return &Error{Kind: Invalid, What: at + " has no " + k,
				Why: "a " + backend + " source needs " + and(required), Fix: "add " + example + " under " + at}
		}
	}
	return nil
}

// takes says which settings a backend takes: "path", "file and optionally
// identity", "optionally command".
func takes(required, optional []string) string {
	switch {
	case len(optional) == 0:
		return and(required)
	case len(required) == 0:
		return "optionally " + and(optional)
	}
	return and(required) + " and optionally " + and(optional)
}

// and joins words as in "a, b and c".
func and(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
