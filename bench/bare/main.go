// Command bare is the baseline HTTP server of the bench: a net/http handler
// with no routing, headers or authentication, answering every request with
// a small JSON body like haloyadm's /health. It listens on a loopback
// address (default 127.0.0.1:0) and announces "serving on <url>" on stderr,
// as haloyadm serve does, then serves until killed.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "Address to listen on.")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bare: error: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bare: serving on http://%s\n", ln.Addr())
	body := []byte(`{"status":"ok","service":"bare"}` + "\n")
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	fmt.Fprintf(os.Stderr, "bare: error: %v\n", err)
	os.Exit(1)
}
