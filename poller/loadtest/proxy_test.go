package loadtest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// rtProxy is a loopback TCP proxy in front of Redis that counts the
// client's writes: each write is one request (a command or a pipeline), so
// the count is the number of round trips.
type rtProxy struct {
	ln     net.Listener
	target string
	writes atomic.Int64
	wg     sync.WaitGroup
}

// newRTProxy proxies to target until the test ends.
func newRTProxy(t testing.TB, target string) *rtProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rtProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

// url is a redis:// URL that reaches Redis through the proxy.
func (p *rtProxy) url() string { return "redis://" + p.ln.Addr().String() + "/0" }

func (p *rtProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *rtProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	go func() { _, _ = io.Copy(c, s); _ = c.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.writes.Add(1)
			if _, werr := s.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = s.Close()
}
