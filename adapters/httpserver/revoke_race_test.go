package httpserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A revoke through another store handle (as 'haloyadm api token revoke'
// in another process) races a stream of requests with the token: no
// request that starts after the revoke returned succeeds, however warm the
// store's token cache was.
func TestRevokeRacesRequests(t *testing.T) {
	f := newFixture(t)
	other := f.openStore()
	for i := range 5 {
		name := fmt.Sprintf("ci-%d", i)
		tok := f.token(name, 0)
		var (
			revoking      atomic.Bool // set before the revoke is called
			done          atomic.Bool // set after it returned
			stop          atomic.Bool
			before, after atomic.Int64
			wg            sync.WaitGroup
			failures      = make(chan string, 16)
		)
		for range 4 {
			wg.Go(func() {
				for !stop.Load() {
					started := done.Load()
					req, _ := http.NewRequest("GET", f.http.URL+"/v1/version", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					r, err := f.http.Client().Do(req)
					if err != nil {
						failures <- err.Error()
						return
					}
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
					switch {
					case !started && r.StatusCode == 200:
						before.Add(1)
					case !started && revoking.Load():
						// started before the revoke returned, answered once it had begun: either is right
					case !started:
						failures <- fmt.Sprintf("GET /v1/version before the revoke = %d, want 200", r.StatusCode)
						return
					case r.StatusCode == 200:
						select {
						case failures <- fmt.Sprintf("GET /v1/version started after the revoke of %q returned = 200, want 401 or 429", name):
						default:
						}
					default:
						after.Add(1)
					}
				}
			})
		}
		for before.Load() < 100 && len(failures) == 0 {
			time.Sleep(time.Millisecond)
		}
		revoking.Store(true)
		if _, err := other.Revoke(context.Background(), name, f.clock.now(), "haloyadm"); err != nil {
			t.Fatal(err)
		}
		done.Store(true)
		for after.Load() < 100 && len(failures) == 0 {
			time.Sleep(time.Millisecond)
		}
		stop.Store(true)
		wg.Wait()
		close(failures)
		for msg := range failures {
			t.Error(msg)
		}
		// let the failure budget refill for the next round
		f.clock.add(time.Hour)
	}
}

// Expiry is exact with a warm cache: 200 until the second before, 401 at it.
func TestExpiryWithWarmCache(t *testing.T) {
	f := newFixture(t)
	tok := f.token("short", time.Hour)
	for range 3 {
		if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 200 {
			t.Fatalf("GET /v1/version with a fresh token = %d, want 200", got.Code)
		}
	}
	f.clock.add(time.Hour - time.Nanosecond)
	if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 200 {
		t.Errorf("GET /v1/version a nanosecond before expiry = %d, want 200", got.Code)
	}
	f.clock.add(time.Nanosecond)
	if got := f.do("GET", "/v1/version", bearer(tok), ""); got.Code != 401 {
		t.Errorf("GET /v1/version at expiry = %d, want 401", got.Code)
	}
}
