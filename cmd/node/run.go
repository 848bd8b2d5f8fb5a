package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/server"
	"github.com/factum-dev/factum/storage/pipeline"
)

// runNode is `node run`: a server hosting the examples.
func runNode(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f server.Flags
	f.Register(fs)
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		return err
	}
	if err := f.Check(stderr); err != nil {
		return err
	}
	storage, err := pipeline.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("%v: %w", err, server.ErrUsage)
	}
	f.Config.Storage = storage
	// Tracing is off unless the standard OTEL_* variables ask for it.
	tp, err := server.TracingFromEnv(ctx, getenv)
	if err != nil {
		return err
	}
	if tp != nil {
		f.Config.TracerProvider = tp
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(sctx) // sends the last spans
		}()
		f.Config.Logger.Info("tracing on: spans go to the OTLP endpoint of the OTEL_EXPORTER_OTLP_* variables")
	}
	s, err := server.New(ctx, f.Config)
	if err != nil {
		return err
	}
	if err := examples.Host(s); err != nil {
		return fmt.Errorf("%w (closing: %v)", err, s.Close())
	}
	// The bench item too, so that `node bench --target` can drive the node.
	if err := registerBench(s); err != nil {
		return fmt.Errorf("%w (closing: %v)", err, s.Close())
	}
	ln, err := s.Listen()
	if err != nil {
		return fmt.Errorf("%w (closing: %v)", err, s.Close())
	}
	journalName := "memory"
	if f.Config.RedisURL != "" {
		journalName = "redis"
	}
	if c := s.Config().Cluster; c != nil {
		journalName += ", cluster node " + c.NodeID
	}
	fmt.Fprintf(stdout, "factum node listening on http://%s (journal: %s, partitions: %d, storage: %s)\n", ln.Addr(), journalName, f.Config.Partitions, storage)
	fmt.Fprintf(stdout, "try: curl -X POST http://%s/v1/dogschool.Dog/fido/register -d '{\"name\":\"Fido\"}'\n", ln.Addr())
	return s.Serve(ctx, ln)
}
