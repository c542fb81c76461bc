package delayproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestProxyDelaysAndForwards(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		w.Header().Set("X-Auth", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "body of "+r.URL.Path)
	}))
	defer backend.Close()
	const delay = 50 * time.Millisecond
	p, err := Start(backend.URL, delay)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	// several requests at once must all take about one delay, not one each
	const n = 5
	var wg sync.WaitGroup
	start := time.Now()
	errs := make(chan string, n)
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, p.URL+"/v1/version", nil)
			req.Header.Set("Authorization", "Bearer x")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if got, want := resp.StatusCode, http.StatusTeapot; got != want {
				errs <- "status " + resp.Status
			}
			if got, want := string(b), "body of /v1/version"; got != want {
				errs <- "body " + got
			}
			if got, want := resp.Header.Get("X-Auth"), "Bearer x"; got != want {
				errs <- "Authorization not forwarded: " + got
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if elapsed < delay {
		t.Errorf("%d requests took %v, want at least the delay %v", n, elapsed, delay)
	}
	if elapsed >= n*delay {
		t.Errorf("%d concurrent requests took %v, want less than %v: the proxy serializes them", n, elapsed, n*delay)
	}
}
