package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/factum-dev/factum/journal/pipeline"
)

func runNode(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		store   storeFlags
		addr    string
		maxBody int64
		timeout time.Duration
	)
	store.register(fs)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "HTTP listen address [FACTUM_ADDR]")
	fs.Int64Var(&maxBody, "max-body", 1<<20, "largest command body in bytes [FACTUM_MAX_BODY]")
	fs.DurationVar(&timeout, "request-timeout", 10*time.Second, "how long a request may wait for its aggregate [FACTUM_REQUEST_TIMEOUT]")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if err := store.validate(); err != nil {
		return err
	}
	storage, err := pipeline.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if maxBody < 1 {
		return fmt.Errorf("--max-body %d: want at least 1: %w", maxBody, errUsage)
	}
	log := newLogger(stderr, store.logLevel)

	h, err := newHost(ctx, &store, storage, log, registerExamples)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.startProjections(ctx, log, exampleProjections(h.sys)...); err != nil {
		return errors.Join(err, h.Close())
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: newAPI(h, log, maxBody, timeout).routes(), ReadHeaderTimeout: 10 * time.Second}
	journalName := "memory"
	if store.redisURL != "" {
		journalName = "redis"
	}
	fmt.Fprintf(stdout, "factum node listening on http://%s (journal: %s, partitions: %d, storage: %s)\n", ln.Addr(), journalName, store.partitions, storage)
	fmt.Fprintf(stdout, "try: curl -X POST http://%s/v1/dogschool.Dog/fido/register -d '{\"name\":\"Fido\"}'\n", ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return errors.Join(err, h.Close())
}
