package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/app"
	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

// barrier is a backend whose reads return only once n of them are in
// flight at the same time: read one after another, they would never all
// arrive, and each gives up after a while with an error saying so.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	reads   map[string]int
}

func newBarrier(n int) *barrier {
	return &barrier{n: n, all: make(chan struct{}), reads: map[string]int{}}
}

func (b *barrier) Describe(src core.SecretSourceRef) (string, error) {
	return "barrier " + src.Settings["item"], nil
}

func (b *barrier) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	b.mu.Lock()
	b.reads[src.Settings["item"]]++
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return map[string]core.Secret{"key": core.Secret("value-of-" + src.Settings["item"])}, nil
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("source %s was read alone: the sources were not read at once", src.Settings["item"])
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Three sources, each referenced by ten env entries: every source is read
// once, and all three at once, by validate-config/deploy's resolution and
// by secrets check.
func TestSecretSourcesReadOnceAndAtOnce(t *testing.T) {
	cfg := core.AppConfig{TargetConfig: core.TargetConfig{Name: "my-app", Server: "prod.haloy.com", Image: &core.Image{Repository: "my-org/my-app"},
		APIToken: &core.APITokenConfig{From: &core.ValueFrom{Env: "TOKEN"}}}}
	cfg.SecretProviders = core.SecretProviders{"barrier": {}}
	for i := range 3 {
		src := fmt.Sprintf("s%d", i)
		cfg.SecretProviders["barrier"][src] = core.SourceSettings{"item": src}
		for j := range 10 {
			cfg.Env = append(cfg.Env, core.EnvVar{Name: fmt.Sprintf("V_%d_%d", i, j), From: &core.ValueFrom{Secret: "barrier:" + src + ":key"}})
		}
	}
	configs := memory.AppConfigs{"haloy.yaml": cfg}
	check := func(t *testing.T, b *barrier) {
		t.Helper()
		want := map[string]int{"s0": 1, "s1": 1, "s2": 1}
		if fmt.Sprint(b.reads) != fmt.Sprint(want) {
			t.Errorf("reads per source = %v, want %v", b.reads, want)
		}
	}
	t.Run("resolve", func(t *testing.T) {
		b := newBarrier(3)
		uc := app.NewResolve(configs, memory.EnvFiles{}, memory.NewClientStore(core.ClientState{}), memory.Env{"TOKEN": "tok"},
			ports.SecretSources{"barrier": b}, &memory.Notes{})
		res, err := uc.Run(context.Background(), app.ResolveInput{})
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		check(t, b)
	})
	t.Run("secrets_check", func(t *testing.T) {
		b := newBarrier(3)
		rep, err := app.NewCheckSecrets(configs, ports.SecretSources{"barrier": b}).Run(context.Background(), app.CheckSecretsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Sources {
			if s.Err != nil || s.Status != app.SourceOK || len(s.Keys) != 1 || !s.Keys[0].Resolves {
				t.Errorf("source %s: %+v, want ok with its key resolving", s.Name, s)
			}
		}
		check(t, b)
	})
}
