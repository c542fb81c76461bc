//go:build !linux

package main

import (
	"context"
	"errors"
)

// streams needs /proc and signals to its server: Linux only.
func (b *bench) streams(context.Context, config) ([]row, error) {
	return nil, errors.New("the streams step reads /proc and signals its server: it runs on Linux only (use -only to skip it)")
}
