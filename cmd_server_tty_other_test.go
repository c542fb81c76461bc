//go:build !linux

package main

import "testing"

func testAddPrompt(t *testing.T, bin string) {
	t.Skip("the pseudo-terminal test runs on Linux")
}

func testPromptInterrupt(t *testing.T, bin string) {
	t.Skip("the pseudo-terminal test runs on Linux")
}

func testPromptEOF(t *testing.T, bin string) {
	t.Skip("the pseudo-terminal test runs on Linux")
}
