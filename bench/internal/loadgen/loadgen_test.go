package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsAnsweredRequests(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.Header.Get("Authorization"), "Bearer t"; got != want {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		served.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{URL: srv.URL, Header: http.Header{"Authorization": {"Bearer t"}},
		Conns: 4, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 {
		t.Fatalf("Run() answered 0 requests, want some")
	}
	// the warm-up request is served but not counted; requests cut off by
	// the deadline may be served and not counted either
	if got := served.Load(); got < res.Requests+1 {
		t.Errorf("server saw %d requests, want at least %d counted + 1 warm-up", got, res.Requests)
	}
	if res.Elapsed < 100*time.Millisecond {
		t.Errorf("Elapsed = %v, want at least the duration 100ms", res.Elapsed)
	}
	if res.PerSecond() <= 0 {
		t.Errorf("PerSecond() = %v, want > 0", res.PerSecond())
	}
}

func TestRunFailsOnNon200(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	_, err := Run(context.Background(), Options{URL: srv.URL, Duration: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Run() error = %v, want one naming the 401", err)
	}
}

func TestRunRefused(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		wantErr bool
	}{
		{"unauthorized", http.StatusUnauthorized, false},
		{"too_many", http.StatusTooManyRequests, false},
		{"accepted_is_an_error", http.StatusOK, true},
		{"forbidden_is_an_error", http.StatusForbidden, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.code)
			}))
			defer srv.Close()
			res, err := Run(context.Background(), Options{URL: srv.URL, Duration: 50 * time.Millisecond, Refused: true})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run() error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && res.Requests == 0 {
				t.Errorf("Run() counted no request")
			}
		})
	}
}
