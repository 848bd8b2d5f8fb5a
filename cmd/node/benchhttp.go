package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// errTransport marks a request that got no complete HTTP answer.
var errTransport = errors.New("transport")

// parseTarget checks a --target URL (http://host:port) and returns its
// host:port.
func parseTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("--target %q: %v", raw, err)
	}
	if u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("--target %q: want http://host:port", raw)
	}
	if u.Port() == "" {
		return u.Host + ":80", nil
	}
	return u.Host, nil
}

// httpConn is one kept-alive HTTP/1.1 connection to a node. It writes a
// request and reads its response with a few buffers of its own, without
// net/http's per-request machinery, so that on a small box the load tool
// leaves the CPU to the node it measures, as wrk does. One goroutine uses
// it at a time.
type httpConn struct {
	addr    string
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	req     []byte
	body    []byte
}

func newHTTPConn(addr string, timeout time.Duration) *httpConn {
	return &httpConn{addr: addr, timeout: timeout}
}

// post sends one POST and returns the response's status and body (valid
// until the next call). A transport error closes the connection; the next
// call dials again.
func (h *httpConn) post(path, contentType string, body []byte) (int, []byte, error) {
	status, resp, err := h.roundTrip(path, contentType, body)
	if err != nil {
		h.close()
		return 0, nil, fmt.Errorf("POST http://%s%s: %w: %v", h.addr, path, errTransport, err)
	}
	return status, resp, nil
}

func (h *httpConn) roundTrip(path, contentType string, body []byte) (int, []byte, error) {
	if h.conn == nil {
		c, err := net.DialTimeout("tcp", h.addr, h.timeout)
		if err != nil {
			return 0, nil, err
		}
		h.conn = c
		if h.br == nil {
			h.br = bufio.NewReaderSize(c, 16<<10)
		} else {
			h.br.Reset(c)
		}
	}
	if err := h.conn.SetDeadline(time.Now().Add(h.timeout)); err != nil {
		return 0, nil, err
	}
	r := h.req[:0]
	r = append(r, "POST "...)
	r = append(r, path...)
	r = append(r, " HTTP/1.1\r\nHost: "...)
	r = append(r, h.addr...)
	r = append(r, "\r\nContent-Type: "...)
	r = append(r, contentType...)
	r = append(r, "\r\nContent-Length: "...)
	r = strconv.AppendInt(r, int64(len(body)), 10)
	r = append(r, "\r\n\r\n"...)
	r = append(r, body...)
	h.req = r
	if _, err := h.conn.Write(r); err != nil {
		return 0, nil, err
	}
	return h.readResponse()
}

// readResponse reads a status line, the headers and a body of
// Content-Length bytes or in chunks.
func (h *httpConn) readResponse() (int, []byte, error) {
	line, err := h.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		line, err = h.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, nil, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		}
	}
	h.body = h.body[:0]
	switch {
	case chunked:
		if err := h.readChunks(); err != nil {
			return 0, nil, err
		}
	case length >= 0:
		h.body = append(h.body, make([]byte, length)...)
		if _, err := io.ReadFull(h.br, h.body); err != nil {
			return 0, nil, err
		}
	default:
		return 0, nil, errors.New("a response without Content-Length or chunks")
	}
	if closing {
		h.close()
	}
	return status, h.body, nil
}

func (h *httpConn) readChunks() error {
	for {
		line, err := h.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, then the blank line
				line, err = h.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		n := len(h.body)
		h.body = append(h.body, make([]byte, size)...)
		if _, err := io.ReadFull(h.br, h.body[n:]); err != nil {
			return err
		}
		if _, err := h.br.Discard(2); err != nil {
			return err
		}
	}
}

func (h *httpConn) close() {
	if h.conn != nil {
		_ = h.conn.Close()
		h.conn = nil
	}
}

// jsonUint finds "key":<digits> in a small JSON object, without decoding
// it all.
func jsonUint(body []byte, key string) (uint64, bool) {
	i := bytes.Index(body, []byte(`"`+key+`":`))
	if i < 0 {
		return 0, false
	}
	rest := body[i+len(key)+3:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	v, err := strconv.ParseUint(string(rest[:j]), 10, 64)
	return v, err == nil
}

// jsonString finds "key":"<value>" in a small JSON object (a value with no
// escapes, as the API's error codes are).
func jsonString(body []byte, key string) string {
	i := bytes.Index(body, []byte(`"`+key+`":"`))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key)+4:]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		return string(rest[:j])
	}
	return ""
}
