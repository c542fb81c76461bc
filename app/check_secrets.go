package app

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// CheckSecrets reads every secret source an app config references, once
// each and all at once, and says which sources answer, which referenced
// keys resolve and how long each source took; never a value. It is the
// first thing to run when a deploy says a secret is missing.
type CheckSecrets struct {
	configs ports.AppConfigs
	secrets ports.SecretSources
	// Timeout bounds reading every source of one run.
	Timeout time.Duration
}

// NewCheckSecrets returns the use case.
func NewCheckSecrets(configs ports.AppConfigs, secrets ports.SecretSources) *CheckSecrets {
	return &CheckSecrets{configs: configs, secrets: secrets, Timeout: 2 * time.Minute}
}

// CheckSecretsInput says which config and targets to check: every target
// when none is named.
type CheckSecretsInput struct {
	Config  string
	Targets []string
}

// SourceStatus is what became of one source.
type SourceStatus string

// The statuses of a source. Unreachable covers a missing tool, a user not
// signed in and a timeout; NotFound an item, file or secret that does not
// exist; Misconfigured settings that Describe rejects or a provider haloy
// does not have.
const (
	SourceOK            SourceStatus = "ok"
	SourceUnreachable   SourceStatus = "unreachable"
	SourceNotFound      SourceStatus = "not_found"
	SourceMisconfigured SourceStatus = "misconfigured"
)

// SecretsReport is the result for one config.
type SecretsReport struct {
	// File is the config file read.
	File string
	// Sources are the referenced sources, sorted by provider and name.
	Sources []SourceCheck
	// Problems are references that cannot point anywhere: malformed, or
	// naming a provider or source the config does not declare.
	Problems []error
}

// SourceCheck is one source: its reference prefix ("pass:deploy"), what
// it points at, whether it answered, in how long, and its referenced keys.
type SourceCheck struct {
	Provider, Name string
	// Label names the item for people, e.g. "pass entry haloy/deploy".
	Label    string
	Status   SourceStatus
	Duration time.Duration
	// Keys are the referenced keys, sorted, each with whether it resolves
	// (present and not empty); all false when the source did not answer.
	Keys []KeyCheck
	// Held are the names of every key the source holds (never values),
	// to suggest a name for a key that does not resolve.
	Held []string
	// Err is why the source is not OK.
	Err error
}

// KeyCheck is one referenced key of a source.
type KeyCheck struct {
	Key string
	// Resolves is set when the source holds the key with a value.
	Resolves bool
	// Where are the places that reference it, "haloy.yaml:12".
	Where []string
}

// Unreachable reports whether any source could not be read at all.
func (r SecretsReport) Unreachable() []SourceCheck {
	var out []SourceCheck
	for _, s := range r.Sources {
		if s.Status == SourceUnreachable {
			out = append(out, s)
		}
	}
	return out
}

// Unresolved returns every reference into a source that answered (or
// that is misconfigured) that does not resolve, as "provider:source:key".
func (r SecretsReport) Unresolved() []string {
	var out []string
	for _, s := range r.Sources {
		if s.Status == SourceUnreachable {
			continue
		}
		for _, k := range s.Keys {
			if !k.Resolves {
				out = append(out, s.Provider+":"+s.Name+":"+k.Key)
			}
		}
	}
	return out
}

// KeyErrors returns an error for each referenced key of an answering
// source that does not resolve: absent (with the closest name it holds) or
// empty.
func (s SourceCheck) KeyErrors() []error {
	if s.Status != SourceOK {
		return nil
	}
	var errs []error
	for _, k := range s.Keys {
		if k.Resolves {
			continue
		}
		where := strings.Join(k.Where, ", ")
		if slices.Contains(s.Held, k.Key) {
			errs = append(errs, &core.Error{Kind: core.Missing, What: "key " + strconv.Quote(k.Key) + " of " + s.Label + " is empty (" + where + ")",
				Why: "an empty value cannot be used", Fix: "fill in " + k.Key + " in " + s.Label})
			continue
		}
		e := &core.Error{Kind: core.NotFound, What: "key " + strconv.Quote(k.Key) + " not found in " + s.Label + " (" + where + ")"}
		if len(s.Held) == 0 {
			e.Why, e.Fix = "it holds no keys", "add "+k.Key+" to "+s.Label
		} else {
			e.Why = "its keys: " + strings.Join(s.Held, ", ")
			if c := core.Closest(k.Key, s.Held); c != "" {
				e.Fix = "did you mean " + strconv.Quote(s.Provider+":"+s.Name+":"+c) + "?"
			} else {
				e.Fix = "use one of those keys after " + strconv.Quote(s.Provider+":"+s.Name+":")
			}
		}
		errs = append(errs, e)
	}
	return errs
}

// Run loads the config and checks every source its chosen targets
// reference. It returns an error only when the config cannot be loaded or
// a target name is unknown; every source's failure is in the report.
func (uc *CheckSecrets) Run(ctx context.Context, in CheckSecretsInput) (SecretsReport, error) {
	cfg, err := uc.configs.Load(ctx, in.Config)
	if err != nil {
		return SecretsReport{}, err
	}
	targets, err := cfg.ChooseTargets(in.Targets, false, false)
	if err != nil {
		return SecretsReport{}, err
	}
	rep := SecretsReport{File: cfg.File}
	type entry struct {
		ref  core.SecretSourceRef
		keys map[string][]string // key -> where
	}
	var order []string
	byKey := map[string]*entry{}
	seenProblem := map[string]bool{}
	add := func(raw, where string) {
		ref, err := core.ParseSecretRef(raw)
		if err == nil {
			var src core.SecretSourceRef
			if src, err = cfg.SecretProviders.Lookup(ref); err == nil {
				src.Dir = filepath.Dir(cfg.File)
				e, ok := byKey[src.Key()]
				if !ok {
					e = &entry{ref: src, keys: map[string][]string{}}
					byKey[src.Key()] = e
					order = append(order, src.Key())
				}
				if !slices.Contains(e.keys[ref.Key], where) {
					e.keys[ref.Key] = append(e.keys[ref.Key], where)
				}
				return
			}
		}
		if msg := err.Error() + where; !seenProblem[msg] {
			seenProblem[msg] = true
			rep.Problems = append(rep.Problems, at(err, where))
		}
	}
	for _, name := range targets {
		t := cfg.Target(name)
		if t.APIToken != nil && t.APIToken.From != nil && t.APIToken.From.Secret != "" {
			add(t.APIToken.From.Secret, cfg.Where(tokenPath(&cfg, name, t.APIToken)))
		}
		for _, e := range t.Env {
			if e.From != nil && e.From.Secret != "" {
				add(e.From.Secret, cfg.Where(envPath(&cfg, name, e.Name)))
			}
		}
	}
	slices.SortFunc(order, func(a, b string) int {
		return strings.Compare(byKey[a].ref.Provider+":"+byKey[a].ref.Name, byKey[b].ref.Provider+":"+byKey[b].ref.Name)
	})
	rep.Sources = make([]SourceCheck, len(order))
	ctx, cancel := context.WithTimeout(ctx, uc.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, k := range order {
		e := byKey[k]
		sc := &rep.Sources[i]
		sc.Provider, sc.Name = e.ref.Provider, e.ref.Name
		for _, key := range slices.Sorted(maps.Keys(e.keys)) {
			sc.Keys = append(sc.Keys, KeyCheck{Key: key, Where: e.keys[key]})
		}
		p, ok := uc.secrets[e.ref.Provider]
		if !ok {
			sc.Status, sc.Err = SourceMisconfigured, unknownProvider(uc.secrets, e.ref.Provider, cfg.Where("secret_providers."+e.ref.Provider))
			continue
		}
		label, err := p.Describe(e.ref)
		if err != nil {
			sc.Status, sc.Err = SourceMisconfigured, err
			continue
		}
		sc.Label = label
		wg.Go(func() {
			start := time.Now()
			fields, err := p.Fields(ctx, e.ref)
			sc.Duration = time.Since(start)
			var ce *core.Error
			switch {
			case err == nil:
				sc.Status = SourceOK
			case errors.As(err, &ce) && ce.Kind == core.NotFound:
				sc.Status = SourceNotFound
			case errors.As(err, &ce) && ce.Kind == core.Invalid:
				sc.Status = SourceMisconfigured
			default:
				sc.Status = SourceUnreachable
			}
			sc.Err = err
			sc.Held = slices.Sorted(maps.Keys(fields))
			for j := range sc.Keys {
				sc.Keys[j].Resolves = fields[sc.Keys[j].Key] != ""
			}
		})
	}
	wg.Wait()
	return rep, nil
}

// at adds where a reference is written to a reference's error.
func at(err error, where string) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		c := *ce
		c.What += " (" + where + ")"
		return &c
	}
	return &core.Error{Kind: core.Invalid, What: "secret reference at " + where + " " + strconv.Quote(err.Error())}
}

// unknownProvider is the error for a provider haloy does not have.
func unknownProvider(known ports.SecretSources, p, where string) error {
	names := slices.Sorted(maps.Keys(known))
	e := &core.Error{Kind: core.NotFound, What: "unknown secret provider " + strconv.Quote(p) + " (" + where + ")",
		Why: "haloy reads secrets from: " + strings.Join(names, ", ")}
	if c := core.Closest(p, names); c != "" {
		e.Fix = "did you mean " + strconv.Quote(c) + "?"
	} else {
		e.Fix = "use one of: " + strings.Join(names, ", ") + " (docs/secret-backends.md)"
	}
	return e
}
