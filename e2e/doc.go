// Package e2e holds the end-to-end tests: they build the haloy binary once,
// run real `haloyadm serve` processes on loopback addresses, and drive
// `haloy` against them in throwaway directories, checking every captured
// output, log and client file for leaked tokens. It has no code of its own
// outside its tests.
package e2e
