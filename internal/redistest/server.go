package redistest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// InstallHint is the command that installs redis-server and redis-cli.
const InstallHint = "sudo apt-get install -y redis-server (or run `make redis-server`)"

// Options says how to start a server.
type Options struct {
	// AOF turns the append-only file on (appendonly yes).
	AOF bool
	// Fsync is the appendfsync policy when AOF is on: "always",
	// "everysec" (default) or "no".
	Fsync string
	// UnixSocket listens on a unix socket in the server's directory instead
	// of a TCP port.
	UnixSocket bool
	// Args are more redis-server arguments, such as "--maxmemory", "1gb".
	Args []string
}

// Server is one redis-server process that the test owns.
type Server struct {
	t    testing.TB
	opts Options
	dir  string
	port int    // 0 with a unix socket
	sock string // unix socket path, or ""

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartServer starts a redis-server for the test and stops it on cleanup.
func StartServer(t testing.TB, opts Options) *Server {
	t.Helper()
	requireBinaries(t)
	if opts.Fsync == "" {
		opts.Fsync = "everysec"
	}
	switch opts.Fsync {
	case "always", "everysec", "no":
	default:
		t.Fatalf("redistest: Fsync = %q, want always, everysec or no", opts.Fsync)
	}
	s := &Server{t: t, opts: opts, dir: tempDir(t)}
	if opts.UnixSocket {
		s.sock = filepath.Join(s.dir, "redis.sock")
	}
	t.Cleanup(s.stop)
	var err error
	for range 5 {
		if !opts.UnixSocket {
			s.port = freePort(t, false)
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("redistest: start redis-server: %v\n%s", err, s.LogTail())
	return nil
}

func requireBinaries(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("redistest: %s not found on PATH; install it with: %s", bin, InstallHint)
		}
	}
}

// tempDir returns a short directory (unix socket paths are limited to about
// 100 bytes, and t.TempDir's names can be longer).
func tempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// freePort returns a TCP port that was free a moment ago. With bus, the
// port is in 20000-29999 and port+10000 is free too (for the cluster bus).
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	if !bus {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	for range 1000 {
		p := 20000 + rand.IntN(10000)
		if portFree(p) && portFree(p+10000) {
			return p
		}
	}
	t.Fatalf("redistest: no free port pair found")
	return 0
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func (s *Server) args() []string {
	a := []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log"),
		"--daemonize", "no", "--protected-mode", "no", "--save", "",
		"--appendonly", map[bool]string{true: "yes", false: "no"}[s.opts.AOF],
		"--appendfsync", s.opts.Fsync,
		// A torn AOF tail (a SIGKILL during the server's write) stops the
		// start instead of being cut by the server: redis-server 7.0 cuts
		// it after the last complete command even inside a MULTI/EXEC
		// block (every Lua script with more than one write is one), which
		// leaves a MULTI without EXEC in the file, and the next restart
		// then applies half a script. Restart repairs the tail with
		// redis-check-aof, which cuts before the MULTI.
		"--aof-load-truncated", "no",
	}
	if s.sock != "" {
		a = append(a, "--unixsocket", s.sock, "--unixsocketperm", "700")
	}
	return append(a, s.opts.Args...)
}

// start runs redis-server and waits until it answers PING.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", s.args()...)
	cmd.Dir = s.dir
	// Its own process group: a signal to the test does not reach it first.
	// Pdeathsig: a test binary that dies without its clean-up (a -timeout
	// panic, kill -9) takes its servers with it instead of leaving them
	// running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return s.waitReady(done)
}

func (s *Server) waitReady(exited chan struct{}) error {
	c := goredis.NewClient(s.Options())
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before it was ready (last error: %v)", err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server not ready after 20s: %v", err)
		}
	}
}

// Addr returns host:port, or the unix socket's path.
func (s *Server) Addr() string {
	if s.sock != "" {
		return s.sock
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// URL returns redis://127.0.0.1:port or unix:///path/redis.sock.
func (s *Server) URL() string {
	if s.sock != "" {
		return "unix://" + s.sock
	}
	return "redis://" + s.Addr()
}

// Dir returns the server's working directory (its AOF and log live there).
func (s *Server) Dir() string { return s.dir }

// Options returns go-redis options that reach the server.
func (s *Server) Options() *goredis.Options {
	if s.sock != "" {
		return &goredis.Options{Network: "unix", Addr: s.sock}
	}
	return &goredis.Options{Addr: s.Addr()}
}

// Client returns a go-redis client for the server, closed on cleanup.
func (s *Server) Client() *goredis.Client {
	c := goredis.NewClient(s.Options())
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill9 kills the server with SIGKILL and waits until it has exited. What
// it had not written to its AOF is lost.
func (s *Server) Kill9() { s.kill() }

func (s *Server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Stop stops the server gracefully (SIGTERM) and waits until it has exited.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.kill()
	}
}

// Restart starts the server again on the same address and directory (so it
// reloads its AOF), stopping it first with SIGKILL if it still runs. When
// the server refuses to start because its AOF ends in a torn write (it was
// killed while writing), Restart repairs the AOF as an operator would,
// with redis-check-aof --fix (which drops the torn command and, inside a
// MULTI/EXEC block, the whole block), and starts it again.
func (s *Server) Restart() {
	s.t.Helper()
	s.kill()
	var err error
	repaired := false
	for range 50 { // the old socket may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		tail := s.LogTail()
		if s.opts.AOF && !repaired && strings.Contains(tail, "Unexpected end of file reading the append only file") {
			if err = s.repairAOF(); err != nil {
				break
			}
			repaired = true
			continue
		}
		if !strings.Contains(tail, "Address already in use") {
			break
		}
	}
	s.t.Fatalf("redistest: restart redis-server: %v\n%s", err, s.LogTail())
}

// repairAOF runs redis-check-aof --fix on the server's AOF manifest,
// answering its question with yes.
func (s *Server) repairAOF() error {
	cmd := exec.Command("redis-check-aof", "--fix", filepath.Join("appendonlydir", "appendonly.aof.manifest"))
	cmd.Dir = s.dir
	cmd.Stdin = strings.NewReader("y\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-check-aof --fix: %w\n%s", err, out)
	}
	s.t.Logf("redistest: repaired the torn AOF tail of the server at %s:\n%s", s.Addr(), bytes.TrimSpace(out))
	return nil
}

func (s *Server) stop() {
	s.kill()
	if s.t.Failed() {
		s.t.Logf("redistest: log of the server at %s:\n%s", s.Addr(), s.LogTail())
	}
}

// LogTail returns the last lines of the server's log.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
