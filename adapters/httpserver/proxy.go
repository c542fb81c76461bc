package httpserver

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/haloy-auth/haloy/core"
)

// maxHops bounds how many forwarding hops are read from the right.
const maxHops = 16

// parseTrusted reads --trusted-proxy values: IP addresses or CIDR ranges.
// Returns a *core.Error of Kind Invalid for anything else.
func parseTrusted(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		v = strings.TrimSpace(v)
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		return nil, &core.Error{Kind: core.Invalid, What: "invalid --trusted-proxy " + strconv.Quote(v),
			Why: "it is neither an IP address nor a CIDR range", Fix: "give the proxy's address, e.g. --trusted-proxy 127.0.0.1 or --trusted-proxy 10.0.0.0/8"}
	}
	return out, nil
}

// clientIP is the address failures are counted under. It is the peer's,
// unless the peer is a trusted proxy (--trusted-proxy): then it is the
// right-most hop of X-Forwarded-For or Forwarded that is not a trusted
// proxy, since every hop to the right of it was written by a proxy we
// trust, and everything to its left by whoever it was. Any client can send
// those headers, so they are never read from an untrusted peer. When a
// request carries both headers and they disagree (a proxy writes one, a
// client made up the other), or a hop does not parse, it is the peer's:
// a client cannot pick its own address, at worst it shares the proxy's.
func (s *Server) clientIP(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if len(s.trusted) == 0 || !s.isTrusted(peer) {
		return peer
	}
	var found []string
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		found = append(found, s.rightmostUntrusted(splitHops(xff, xffHop)))
	}
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		found = append(found, s.rightmostUntrusted(splitHops(fwd, forwardedHop)))
	}
	switch {
	case len(found) == 0, found[0] == "":
		return peer
	case len(found) == 2 && found[0] != found[1]:
		return peer
	}
	return found[0]
}

func (s *Server) isTrusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// rightmostUntrusted returns the right-most hop that is not a trusted
// proxy, the left-most when all are, or "" when a hop it reaches does not
// parse as an address.
func (s *Server) rightmostUntrusted(hops []string) string {
	if len(hops) > maxHops {
		hops = hops[len(hops)-maxHops:]
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return ""
		}
		if !s.isTrusted(a.String()) || i == 0 {
			return a.String()
		}
	}
	return ""
}

// splitHops returns the comma-separated elements of every line of a
// header, in order, each turned into an address by hop.
func splitHops(lines []string, hop func(string) string) []string {
	var out []string
	for _, l := range lines {
		for e := range strings.SplitSeq(l, ",") {
			out = append(out, hop(strings.TrimSpace(e)))
		}
	}
	return out
}

func xffHop(e string) string { return e }

// forwardedHop returns the for= parameter of one Forwarded element
// (RFC 7239), unquoted, or "" without one.
func forwardedHop(e string) string {
	for pair := range strings.SplitSeq(e, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(k, "for") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// parseHop reads an address as proxies write it: 192.0.2.1,
// 192.0.2.1:4711, 2001:db8::1, [2001:db8::1]:4711.
func parseHop(h string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
