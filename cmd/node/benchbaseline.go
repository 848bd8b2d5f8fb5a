package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/factum-dev/factum/server"
)

// baselineHandler is the yardstick of the HTTP command path: a bare
// net/http handler on the command route's pattern that decodes the small
// JSON body with encoding/json and answers a small JSON reply of the
// command reply's shape. It keeps nothing. Whatever a node does beyond it
// is factum's cost.
func baselineHandler() http.Handler {
	var version atomic.Uint64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/{type}/{id}/{command}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data string `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"error":"bad_request"}`, http.StatusBadRequest)
			return
		}
		v := version.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			ID       string `json:"id"`
			Version  uint64 `json:"version"`
			Position uint64 `json:"position"`
		}{r.PathValue("id"), v, v})
	})
	return mux
}

// serveBaseline serves the baseline handler on ln until ctx ends.
func serveBaseline(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: baselineHandler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// runBaseline is `node baseline`: it serves the baseline handler, for
// `node bench --target` to measure beside a node.
func runBaseline(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "HTTP listen address [FACTUM_ADDR]")
	if err := server.ParseFlags(fs, args, getenv); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(stdout, "baseline (a bare net/http JSON handler) listening on http://%s\n", ln.Addr())
	return serveBaseline(ctx, ln)
}
