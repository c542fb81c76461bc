package httpserver

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTracked bounds the failure table; past it, addresses whose budget has
// refilled (which behave exactly like new ones) are forgotten.
const maxTracked = 10000

// failures limits failed authentication attempts per client IP (per /64
// for IPv6) with a token bucket from x/time/rate: burst failures at once,
// then one per refill period. Successful requests never take from the
// bucket.
//
// The bound holds under concurrency too: a request is checked only while
// the failures already recorded, plus the checks in flight, stay within
// the budget. Past that, a request waits for the checks in flight to end
// (a fraction of a millisecond) and then either proceeds or, if they all
// failed, gets 429. So a flood of parallel guesses gets exactly the burst
// checked, and parallel good requests are never refused.
type failures struct {
	mu    sync.Mutex
	freed *sync.Cond // signalled when a check in flight ends
	every rate.Limit
	burst int
	ips   map[string]*budget
}

type budget struct {
	lim      *rate.Limiter // nil until the first failure: a full budget
	inflight int
}

// tokens returns the failures b may still take at now.
func (f *failures) tokens(b *budget, now time.Time) float64 {
	if b.lim == nil {
		return float64(f.burst)
	}
	return b.lim.TokensAt(now)
}

func newFailures(refill time.Duration, burst int) *failures {
	f := &failures{every: rate.Every(refill), burst: burst, ips: map[string]*budget{}}
	f.freed = sync.NewCond(&f.mu)
	return f
}

// wait returns how long ip must wait before its next attempt, counting the
// failures recorded so far; zero if it may try now.
func (f *failures) wait(ip string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.ips[limitKey(ip)]
	if b == nil {
		return 0
	}
	return f.waitFor(b, now)
}

func (f *failures) waitFor(b *budget, now time.Time) time.Duration {
	tokens := f.tokens(b, now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(f.every) * float64(time.Second))
}

// begin admits one check from ip, or returns how long it must wait (429).
// An admitted check must be ended with end.
func (f *failures) begin(ip string, now func() time.Time) (key string, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key = limitKey(ip)
	for {
		b := f.ips[key]
		if b == nil {
			if len(f.ips) >= maxTracked {
				f.sweep(now())
			}
			b = &budget{}
			f.ips[key] = b
		}
		t := now()
		if w := f.waitFor(b, t); w > 0 {
			return key, w
		}
		if f.tokens(b, t)-float64(b.inflight) >= 1 {
			b.inflight++
			return key, 0
		}
		f.freed.Wait() // checks in flight would use up the budget if they fail
	}
}

// end closes a check begun for key, recording a failure if it failed.
func (f *failures) end(key string, failed bool, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.ips[key]; b != nil {
		b.inflight--
		if failed {
			if b.lim == nil {
				b.lim = rate.NewLimiter(f.every, f.burst)
			}
			b.lim.AllowN(now, 1)
		}
		// a full budget is the same as none: good clients leave no entry
		if b.inflight == 0 && f.tokens(b, now) >= float64(f.burst) {
			delete(f.ips, key)
		}
	}
	f.freed.Broadcast()
}

// fail records one failed attempt from ip outside a check (tests).
func (f *failures) fail(ip string, now time.Time) {
	key, wait := f.begin(ip, func() time.Time { return now })
	if wait > 0 {
		return
	}
	f.end(key, true, now)
}

// sweep forgets the addresses whose budget has refilled and that have no
// check in flight. If that frees nothing (failures from more than
// maxTracked addresses at once), it forgets a tenth of the table, chosen at
// random, so that memory stays bounded: an attacker who controls that many
// addresses gains a few more guesses, while a 256-bit token stays out of
// reach.
func (f *failures) sweep(now time.Time) {
	for key, b := range f.ips {
		if b.inflight == 0 && f.tokens(b, now) >= float64(f.burst) {
			delete(f.ips, key)
		}
	}
	drop := len(f.ips) - maxTracked + maxTracked/10
	for key, b := range f.ips { // map order is random
		if drop <= 0 {
			break
		}
		if b.inflight == 0 {
			delete(f.ips, key)
			drop--
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
	if a.Is4() {
		return ip // netip accepts only the canonical dotted form: a.String() is ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
