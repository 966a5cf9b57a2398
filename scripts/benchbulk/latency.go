//go:build linux

package main

import (
	"context"
	"net"
	"time"
)

// delayProxy is a TCP proxy on 127.0.0.1 in front of a server that delays every byte by
// half a round trip in each direction, like a network path with that round-trip time and
// unlimited bandwidth: a delay line, not a throttle (each direction reads on as it forwards).
// The move benchmark may go through it (-rtt) to show how the comparison with one request
// per flow changes once every request pays a network round trip, as it does off loopback.
type delayProxy struct {
	ln   net.Listener
	addr string // the server's host:port
	half time.Duration
}

func startDelayProxy(ctx context.Context, serverAddr string, rtt time.Duration) (*delayProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &delayProxy{ln: ln, addr: serverAddr, half: rtt / 2}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go p.serve(ctx, c)
		}
	}()
	return p, nil
}

// URL is the proxy's base URL.
func (p *delayProxy) URL() string { return "http://" + p.ln.Addr().String() }

// close stops accepting; open connections end when their peers close them.
func (p *delayProxy) close() { p.ln.Close() }

func (p *delayProxy) serve(ctx context.Context, client net.Conn) {
	defer client.Close()
	var d net.Dialer
	server, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done // one side closed: close both, which ends the other pipe
}

// chunk is bytes read at one moment, due for delivery at due.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk delivered half a round trip after it was read. When
// either side fails it closes both, which also ends the pipe the other way.
func (p *delayProxy) pipe(dst, src net.Conn) {
	defer src.Close()
	defer dst.Close()
	line := make(chan chunk, 4096)
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				line <- chunk{buf[:n], time.Now().Add(p.half)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range line {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			src.Close() // the reader's Read fails: it closes line
			for range line {
			}
			return
		}
	}
}
