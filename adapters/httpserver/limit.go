package httpserver

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTracked bounds the failure table; past it, IPs whose budget has
// refilled (which behave exactly like new ones) are forgotten.
const maxTracked = 10000

// failures limits failed authentication attempts per client IP (per /64
// for IPv6) with a
// token bucket: burst failures at once, then one per refill period.
// Successful requests never take from the bucket.
type failures struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	ips   map[string]*rate.Limiter
}

func newFailures(refill time.Duration, burst int) *failures {
	return &failures{every: rate.Every(refill), burst: burst, ips: map[string]*rate.Limiter{}}
}

// wait returns how long ip must wait before its next attempt; zero if it
// may try now.
func (f *failures) wait(ip string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.ips[limitKey(ip)]
	if l == nil {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(f.every) * float64(time.Second))
}

// fail takes one attempt from ip's budget.
func (f *failures) fail(ip string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := limitKey(ip)
	l := f.ips[key]
	if l == nil {
		if len(f.ips) >= maxTracked {
			f.sweep(now)
		}
		l = rate.NewLimiter(f.every, f.burst)
		f.ips[key] = l
	}
	l.AllowN(now, 1)
}

func (f *failures) sweep(now time.Time) {
	for ip, l := range f.ips {
		if l.TokensAt(now) >= float64(f.burst) {
			delete(f.ips, ip)
		}
	}
}

// limitKey is the budget an address draws from: the address itself for
// IPv4, and its /64 network for IPv6, since one IPv6 client usually holds a
// whole /64 and could otherwise move to a fresh address for each guess.
func limitKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
