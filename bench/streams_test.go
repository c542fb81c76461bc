//go:build linux

package main

import "testing"

func TestParseProcStatus(t *testing.T) {
	const ok = "Name:\tstreamharness\nVmPeak:\t  999 kB\nVmRSS:\t   16512 kB\nThreads:\t8\n"
	got, err := parseProcStatus(ok)
	if err != nil {
		t.Fatal(err)
	}
	if want := (procStatus{rss: 16512 * 1024, threads: 8}); got != want {
		t.Errorf("parseProcStatus = %+v, want %+v", got, want)
	}
	for name, bad := range map[string]string{
		"no_threads": "VmRSS:\t16512 kB\n",
		"no_rss":     "Threads:\t8\n",
		"rss_in_mb":  "VmRSS:\t16 MB\nThreads:\t8\n",
	} {
		if _, err := parseProcStatus(bad); err == nil {
			t.Errorf("%s: parseProcStatus(%q) gave no error", name, bad)
		}
	}
}
