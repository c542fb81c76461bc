package memory

import (
	"context"
	"maps"
	"strconv"
	"sync"

	"github.com/haloy-auth/haloy/core"
	"github.com/haloy-auth/haloy/ports"
)

var _ ports.SecretSource = (*Secrets)(nil)

// Secrets is a 1Password twin: items by "vault/item", each a map of field
// label to value. It checks settings and reports a missing item or a
// signed-out session as the real adapter does, and counts calls per item.
type Secrets struct {
	mu    sync.Mutex
	items map[string]map[string]core.Secret
	calls map[string]int
	// SignedOut makes every Fields call fail as when op is not signed in.
	SignedOut bool
}

// NewSecrets returns a twin holding items: "vault/item" -> label -> value.
func NewSecrets(items map[string]map[string]core.Secret) *Secrets {
	return &Secrets{items: items, calls: map[string]int{}}
}

// Describe checks src's settings like the real adapter and names the item.
func (s *Secrets) Describe(src core.SecretSourceRef) (string, error) {
	return core.DescribeOnePassword(src)
}

// Fields returns a copy of the item's fields and counts the call.
func (s *Secrets) Fields(ctx context.Context, src core.SecretSourceRef) (map[string]core.Secret, error) {
	label, err := s.Describe(src)
	if err != nil {
		return nil, err
	}
	vault, item := src.Settings["vault"], src.Settings["item"]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[vault+"/"+item]++
	if s.SignedOut {
		return nil, &core.Error{Kind: core.Missing, What: "cannot read " + label,
			Why: "you are not signed in to 1Password (You are not currently signed in.)",
			Fix: "run 'eval $(op signin)' (or set OP_SERVICE_ACCOUNT_TOKEN in CI), then run the command again"}
	}
	f, ok := s.items[vault+"/"+item]
	if !ok {
		return nil, &core.Error{Kind: core.NotFound, What: "1Password item " + strconv.Quote(item) + " not found in vault " + strconv.Quote(vault),
			Why: strconv.Quote(item) + " isn't an item in the " + strconv.Quote(vault) + " vault.",
			Fix: "op item list --vault " + strconv.Quote(vault) + " shows the item names; fix item: in secret_providers"}
	}
	return maps.Clone(f), nil
}

// Calls returns how many times Fields ran per "vault/item".
func (s *Secrets) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}
