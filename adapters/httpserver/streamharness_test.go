//go:build linux

package httpserver

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/core"
)

// streamHarnessEnv names the deployment the stream harness holds open.
const streamHarnessEnv = "HALOY_BENCH_STREAM_DEPLOYMENT"

// TestStreamHarness is not a test: it is the server process of the bench's
// deploy-log stream step (go run ./bench -only streams), which builds this
// package's test binary and runs this function alone with
// HALOY_BENCH_STREAM_DEPLOYMENT set. Without it, it is skipped.
//
// haloyadm serve records a deployment and completes its log within one
// request, so none of its streams stays open; this harness serves the same
// API over the SQLite store in $HALOY_DATA_DIR with one deployment's log
// started and held open, so that followers idle on it as they would during
// a real deployment. On SIGUSR1 it publishes the deployment's last two
// entries; on SIGUSR2 it collects garbage and prints its goroutines and
// heap in use on stderr; on SIGTERM it shuts down.
func TestStreamHarness(t *testing.T) {
	id := os.Getenv(streamHarnessEnv)
	if id == "" {
		t.Skip(streamHarnessEnv + " is not set: this is the bench's stream harness, not a test")
	}
	st := sqlite.New(memory.Env{core.ServerDataDirEnv: os.Getenv(core.ServerDataDirEnv)})
	defer st.Close()
	s := New(st, st, harnessNotes{})
	d := core.Deployment{ID: id, App: "bench"}
	s.logs.publish(s.entry(d, "INFO", "deployment received"))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR1 {
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
				fmt.Fprintf(os.Stderr, "streamharness: stats goroutines=%d heap=%d\n", runtime.NumGoroutine(), m.HeapInuse)
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

// harnessNotes prints the server's notes on stderr, as haloyadm serve does.
type harnessNotes struct{}

func (harnessNotes) Warn(msg string)           { fmt.Fprintln(os.Stderr, "streamharness: warning: "+msg) }
func (harnessNotes) Info(msg string)           { fmt.Fprintln(os.Stderr, "streamharness: "+msg) }
func (harnessNotes) Wait(string) (done func()) { return func() {} }
