package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/haloy-auth/haloy/core"
)

// ValidateConfig checks an app config the way a deploy would use it, for
// every target unless some are named, without any network call.
type ValidateConfig struct {
	resolve *Resolve
}

// NewValidateConfig returns the use case.
func NewValidateConfig(r *Resolve) *ValidateConfig { return &ValidateConfig{resolve: r} }

// ValidateInput says which config and targets to check.
type ValidateInput struct {
	Config  string
	Targets []string
	All     bool
}

// Run resolves every chosen target. The error is nil when the config is
// valid; otherwise it joins a summary (a *core.Error of Kind Invalid, so
// that the exit code is 2) with every problem found.
func (uc *ValidateConfig) Run(ctx context.Context, in ValidateInput) (Resolution, error) {
	res, err := uc.resolve.Run(ctx, ResolveInput{Config: in.Config, Targets: in.Targets, All: in.All})
	if err != nil {
		return res, err
	}
	errs := flattenErr(res.Err())
	if len(errs) == 0 {
		return res, nil
	}
	n := "1 problem"
	if len(errs) > 1 {
		n = strconv.Itoa(len(errs)) + " problems"
	}
	summary := &core.Error{Kind: core.Invalid, What: fmt.Sprintf("%s is not valid: %s", res.File, n)}
	return res, errors.Join(append([]error{summary}, errs...)...)
}

func flattenErr(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
