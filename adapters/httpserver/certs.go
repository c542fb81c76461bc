package httpserver

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/haloy-auth/haloy/ports"
)

// certReloader serves a certificate pair from files and reloads it when
// either file changes, so that a renewed certificate (certbot, acme.sh) is
// used from the next TLS handshake without a restart. A renewal that does
// not load (a key written after its certificate, say) keeps the previous
// pair and is reported once.
type certReloader struct {
	certFile, keyFile string
	notes             ports.Notifier
	checkEvery        time.Duration
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // modification times and sizes of both files
	checked time.Time
	failed  string // the stamp whose load failed, reported once
}

// newCertReloader loads the pair once; failing here stops serve from starting.
func newCertReloader(certFile, keyFile string, notes ports.Notifier, now func() time.Time) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, notes: notes, checkEvery: time.Second, now: now}
	stamp, err := r.fileStamp()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cert, r.stamp, r.checked = &cert, stamp, now()
	return r, nil
}

func (r *certReloader) fileStamp() (string, error) {
	var s string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return s, nil
}

// GetCertificate is tls.Config.GetCertificate: the files are looked at no
// more than once a second.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < r.checkEvery {
		return r.cert, nil
	}
	r.checked = now
	stamp, err := r.fileStamp()
	if err != nil || stamp == r.stamp || stamp == r.failed {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.failed = stamp
		r.notes.Warn(fmt.Sprintf("cannot reload TLS certificate %q: %v; still serving the previous one", r.certFile, err))
		return r.cert, nil
	}
	r.cert, r.stamp, r.failed = &cert, stamp, ""
	r.notes.Info(fmt.Sprintf("reloaded TLS certificate %q", r.certFile))
	return r.cert, nil
}
