//go:build linux

package httpserver

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// streamHarnessEnv names the deployments the stream harness holds open,
// comma-separated; streamProfileEnv, when set, is a directory where it
// writes a heap profile each time it prints its stats.
const (
	streamHarnessEnv = "HALOY_BENCH_STREAM_DEPLOYMENT"
	streamProfileEnv = "HALOY_BENCH_STREAM_PROFILE"
)

// TestStreamHarness is not a test: it is the server process of the bench's
// deploy-log stream step (go run ./bench -only streams), which builds this
// package's test binary and runs this function alone with
// HALOY_BENCH_STREAM_DEPLOYMENT set. Without it, it is skipped.
//
// haloyadm serve records a deployment and completes its log within one
// request, so none of its streams stays open; this harness serves the same
// API over the SQLite store in $HALOY_DATA_DIR with the logs of the given
// deployments started and held open, so that followers idle on them as
// they would during a real deployment. Each SIGUSR1 publishes the last two
// entries of the next deployment in the list; SIGUSR2 collects garbage and
// prints its goroutines and heap in use on stderr (and writes a heap
// profile to $HALOY_BENCH_STREAM_PROFILE/heap-N.pprof when that is set);
// SIGTERM shuts it down.
func TestStreamHarness(t *testing.T) {
	ids := os.Getenv(streamHarnessEnv)
	if ids == "" {
		t.Skip(streamHarnessEnv + " is not set: this is the bench's stream harness, not a test")
	}
	st := sqlite.New(memory.Env{core.ServerDataDirEnv: os.Getenv(core.ServerDataDirEnv)})
	defer st.Close()
	s := New(st, st, harnessNotes{})
	var held []core.Deployment
	for id := range strings.SplitSeq(ids, ",") {
		d := core.Deployment{ID: id, App: "bench"}
		s.logs.publish(s.entry(d, "INFO", "deployment received"))
		held = append(held, d)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		profiles := 0
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR1 {
					if len(held) == 0 {
						fmt.Fprintln(os.Stderr, "streamharness: warning: no deployment left to complete")
						continue
					}
					d := held[0]
					held = held[1:]
					s.logs.publish(s.entry(d, "INFO", "deployment recorded"))
					done := s.entry(d, "INFO", "deployment complete")
					done.IsDeploymentComplete, done.IsDeploymentSuccess = true, true
					s.logs.publish(done)
					continue
				}
				runtime.GC()
				debug.FreeOSMemory()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if dir := os.Getenv(streamProfileEnv); dir != "" {
					profiles++
					if err := writeHeapProfile(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", profiles))); err != nil {
						fmt.Fprintln(os.Stderr, "streamharness: warning: "+err.Error())
					}
				}
				fmt.Fprintf(os.Stderr, "streamharness: stats goroutines=%d heap=%d stacks=%d\n", runtime.NumGoroutine(), m.HeapInuse, m.StackInuse)
			}
		}
	}()
	err := s.Serve(ctx, core.ServeOptions{Listen: "127.0.0.1:0", Version: "bench"}, func(addr string) {
		fmt.Fprintln(os.Stderr, "streamharness: serving on "+addr)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// harnessNotes prints the server's notes on stderr, as haloyadm serve does.
type harnessNotes struct{}

func (harnessNotes) Warn(msg string)           { fmt.Fprintln(os.Stderr, "streamharness: warning: "+msg) }
func (harnessNotes) Info(msg string)           { fmt.Fprintln(os.Stderr, "streamharness: "+msg) }
func (harnessNotes) Wait(string) (done func()) { return func() {} }
