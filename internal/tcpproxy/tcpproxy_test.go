package tcpproxy

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

func TestCutAndRestore(t *testing.T) {
	p, err := New(echoServer(t))
	require.NoError(t, err)
	defer p.Close()

	require.NoError(t, roundTrip(p.Addr()), "forwards")

	open, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer open.Close()
	_, err = open.Write([]byte("a\n"))
	require.NoError(t, err)
	_, err = bufio.NewReader(open).ReadString('\n')
	require.NoError(t, err)

	p.Cut()
	require.True(t, p.IsCut())
	require.Error(t, roundTrip(p.Addr()), "a new connection is refused while cut")
	open.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = bufio.NewReader(open).ReadString('\n')
	require.Error(t, err, "an open connection is closed by Cut")

	p.Restore()
	require.NoError(t, roundTrip(p.Addr()), "forwards again after Restore")
}
