package core

import (
	"strings"
	"testing"
)

// benchNames are the shapes of server name a user types: plain, mixed case
// with a trailing dot, loopback with a port, IPv6, internationalized.
var benchNames = []string{
	"production.haloy.com",
	"Production.Haloy.COM.",
	"127.0.0.1:9922",
	"2001:DB8::1",
	"bücher.example",
}

// BenchmarkNormalizeServer measures the rule every command applies to a
// server name, against the least any normalization does (lower-casing and
// trimming a dot) as the baseline.
func BenchmarkNormalizeServer(b *testing.B) {
	b.Run("names", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := NormalizeServer(benchNames[i%len(benchNames)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("baseline_lower", func(b *testing.B) {
		i := 0
		var sink string
		for b.Loop() {
			sink = strings.TrimSuffix(strings.ToLower(benchNames[i%len(benchNames)]), ".")
			i++
		}
		_ = sink
	})
}

// BenchmarkTokenEnv measures the variable name derived from a server name.
func BenchmarkTokenEnv(b *testing.B) {
	for b.Loop() {
		_ = TokenEnv("production.haloy.com")
	}
}

// BenchmarkHashAPIToken measures the hash the server computes for every
// request before its lookup.
func BenchmarkHashAPIToken(b *testing.B) {
	tok := APITokenPrefix + strings.Repeat("A", 43)
	for b.Loop() {
		_ = HashAPIToken(tok)
	}
}
