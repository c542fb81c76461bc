// Package loadgen is the bench's HTTP load generator: a fixed number of
// keep-alive connections sending GET requests back to back for a fixed
// time, counting the answers. It runs on loopback only.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options say what to request, how hard and for how long.
type Options struct {
	// URL is requested with GET.
	URL string
	// Header is sent with every request (e.g. Authorization).
	Header http.Header
	// Conns is how many requests are in flight at once (default 8).
	Conns int
	// Duration bounds the run (default 1s).
	Duration time.Duration
	// Refused, when set, expects every answer to be 401 or 429 (a token
	// the server refuses) instead of 200.
	Refused bool
}

// Result counts what a run did.
type Result struct {
	// Requests answered as expected (200 OK, or 401/429 when Refused).
	Requests int64
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// PerSecond returns the throughput.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Run sends requests until the duration is over and returns how many were
// answered. Any answer other than 200 OK, or any transport error, stops
// the run with an error: a benchmark of failing requests measures nothing.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Conns <= 0 {
		o.Conns = 8
	}
	if o.Duration <= 0 {
		o.Duration = time.Second
	}
	tr := &http.Transport{MaxIdleConns: o.Conns, MaxIdleConnsPerHost: o.Conns, MaxConnsPerHost: o.Conns,
		DisableCompression: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	// one warm-up request: opens a connection and fails fast on a bad setup
	if err := get(ctx, client, o); err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var n atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				err := get(ctx, client, o)
				if err != nil {
					if ctx.Err() == nil {
						once.Do(func() { first = err; cancel() })
					}
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return Result{}, first
	}
	return Result{Requests: n.Load(), Elapsed: elapsed}, nil
}

func get(ctx context.Context, c *http.Client, o Options) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", o.URL, err)
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("GET %s: %w", o.URL, err)
	}
	_, cerr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case o.Refused && resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("GET %s: %s, want 401 or 429", o.URL, resp.Status)
	case !o.Refused && resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s, want 200 OK", o.URL, resp.Status)
	}
	if cerr != nil {
		return fmt.Errorf("GET %s: read body: %w", o.URL, cerr)
	}
	return nil
}
