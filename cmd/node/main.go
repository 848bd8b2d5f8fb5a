package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/server"
)

const usage = `usage: node <command> [flags]

commands:
  run       start a node hosting the examples behind the HTTP/JSON API
  bench     benchmark concurrent aggregates, in process or over HTTP
  baseline  serve a bare net/http JSON handler, the yardstick of node bench --target

admin (they talk to a running node over HTTP, --node; the admin ones send --admin-token):
  events TYPE ID            an aggregate's stored events
  projections               the projections' positions, lags and errors
  projections reset NAME    rebuild a projection from the start of the log (admin)
  verify                    check the hash chain of a partition or an aggregate (admin)
  shred SUBJECT             crypto-shred a subject's data key (admin)

Run "node <command> -h" for the command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis logs through a process-wide logger (every failed dial while
	// Redis is down); the binary, which owns the process, sends it to
	// stderr at debug level only, where the journal's own errors say more.
	if os.Getenv("FACTUM_LOG_LEVEL") == "debug" {
		goredis.SetLogger(redisLogger{slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	} else {
		goredis.SetLogger(redisLogger{slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run runs the command in args and returns the process's exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = runNode(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], getenv, stdout, stderr)
	case "baseline":
		err = runBaseline(ctx, args[1:], getenv, stdout, stderr)
	case "events":
		err = runEvents(ctx, args[1:], getenv, stdout, stderr)
	case "projections":
		err = runProjections(ctx, args[1:], getenv, stdout, stderr)
	case "verify":
		err = runVerify(ctx, args[1:], getenv, stdout, stderr)
	case "shred":
		err = runShred(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "node: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, server.ErrUsage):
		fmt.Fprintln(stderr, "node:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "node:", err)
		return 1
	}
}

// redisLogger passes go-redis's log lines to slog at debug level.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
