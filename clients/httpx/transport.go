// Package httpx holds the HTTP plumbing both API clients share: a
// firewall-friendly transport (proxy from the environment, an optional CA
// bundle, timeouts, no cookie jar), capped body reads, the retry loop of a
// call (RetryPolicy: jittered backoff, Retry-After, a warning per retry) and
// secret redaction. It knows nothing of either API.
package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// TransportOptions configures NewClient.
type TransportOptions struct {
	// Timeout bounds one whole request, body included. Zero means 30s.
	Timeout time.Duration
	// CAFile is an optional PEM bundle added to the system roots, for
	// TLS-inspecting proxies and private CAs.
	CAFile string
	// Proxy overrides the proxy choice; nil means HTTPS_PROXY/NO_PROXY from
	// the environment.
	Proxy func(*http.Request) (*url.URL, error)
}

// NewClient returns an *http.Client for one API: its own transport, a
// timeout, the environment's proxy settings, TLS 1.2 or newer with the
// system roots plus CAFile, and no cookie jar (ServiceNow serializes
// requests that share a session cookie).
func NewClient(o TransportOptions) (*http.Client, error) {
	if o.Timeout < 0 {
		return nil, errors.New("build http client: timeout must not be negative")
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pool, err := loadCAs(o.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	proxy := o.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: o.Timeout,
		TLSClientConfig:       tlsConf,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout}, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA bundle %s: %w", path, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read CA bundle %s: no PEM certificate found in it", path)
	}
	return pool, nil
}
