package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/server/ui"
	"github.com/factum-dev/factum/wire"
)

// api is factum's HTTP/JSON API over one server's actor system.
type api struct {
	s        *Server
	sys      *actors.System
	log      *slog.Logger
	maxBody  int64
	timeout  time.Duration
	maxLimit int

	ids     *idCache   // names' ids
	bodies  *sync.Pool // of *[]byte: request bodies
	replies *sync.Pool // of *[]byte: encoded replies
	rand    randomIDs
	// jsonType and protoType are Content-Type header values, shared by
	// every response (net/http does not change them).
	jsonType, protoType []string
}

func newAPI(s *Server) *api {
	return &api{s: s, sys: s.sys, log: s.log, maxBody: s.cfg.MaxBody, timeout: s.cfg.RequestTimeout, maxLimit: 1000,
		ids: newIDCache(1 << 16), bodies: newBufferPool(1024), replies: newBufferPool(256),
		jsonType: []string{contentJSON}, protoType: []string{contentProtobuf}}
}

// TimeoutHeader lets a caller give a request a shorter deadline than the
// server's --request-timeout, as a Go duration ("1.5s", "500ms"): the
// server answers (504 timeout, or 503 moved in a cluster) before the
// caller gives up, so a caller can tell a node that answers late from
// one that does not answer at all.
const TimeoutHeader = "X-Request-Timeout"

// requestTimeout is how long r may take: the server's limit, or the
// caller's shorter one from TimeoutHeader.
func (a *api) requestTimeout(r *http.Request) (time.Duration, error) {
	v := r.Header[TimeoutHeader]
	if len(v) == 0 {
		return a.timeout, nil
	}
	d, err := time.ParseDuration(v[0])
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("header %s: %q is not a positive duration (e.g. 1.5s or 500ms)", TimeoutHeader, v[0])
	}
	return min(d, a.timeout), nil
}

// newID returns a new random (version 4) UUID as text.
func (a *api) newID() string { return a.rand.next().String() }

// randomIDs makes version 4 UUIDs from crypto/rand, read 1 KiB at a time
// rather than 16 bytes per id.
type randomIDs struct {
	mu   sync.Mutex
	buf  [1024]byte
	used int // bytes of buf handed out; starts empty
	init bool
}

func (g *randomIDs) next() uuid.UUID {
	var id uuid.UUID
	g.mu.Lock()
	if !g.init || g.used == len(g.buf) {
		_, _ = rand.Read(g.buf[:]) // crypto/rand.Read never fails
		g.used, g.init = 0, true
	}
	copy(id[:], g.buf[g.used:g.used+16])
	g.used += 16
	g.mu.Unlock()
	id[6] = (id[6] & 0x0f) | 0x40 // version 4
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}

func (a *api) routes() *routeMux {
	mux := newRouteMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", a.serveMetrics())
	mux.HandleFunc("GET /v1/types", a.types)
	mux.HandleFunc("GET /v1/log", a.logSelect)
	mux.HandleFunc("GET /v1/projections", a.projections)
	mux.HandleFunc("GET /v1/{type}/{id}", a.state)
	mux.HandleFunc("GET /v1/{type}/{id}/events", a.events)
	mux.HandleFunc("POST /v1/{type}/{id}/{command}", a.command)
	mux.HandleFunc("POST /v1/commands", a.batch)
	mux.HandleFunc("GET /v1/admin/verify", a.admin(a.verify))
	mux.HandleFunc("POST /v1/admin/shred/{subject}", a.admin(a.shred))
	mux.HandleFunc("POST /v1/admin/projections/{name}/reset", a.admin(a.resetProjection))
	mux.HandleFunc("GET /v1/openapi.json", a.openapi)
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", ui.Handler()))
	mux.HandleFunc("/", noRoute(mux.ServeMux))
	return mux
}

// noRoute answers what has no route, in the JSON error shape: 405 with
// an Allow header when the path has routes for other methods, else 404.
// (The catch-all "/" takes these requests from the mux's own plain-text
// answers; the methods are looked for only here, off the routed path.)
func noRoute(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if m == r.Method {
				continue
			}
			r2 := r.Clone(r.Context())
			r2.Method = m
			if _, pattern := mux.Handler(r2); pattern != "/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeError(w, http.StatusNotFound, wire.CodeNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s %s: the route takes %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
	}
}

// apiError is the body of every error response.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

// fail answers with the status and code that err calls for.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := a.errorStatus(r, err)
	writeError(w, status, code, err.Error())
}

// errorStatus returns the HTTP status and the code that err calls for
// (and logs the errors that are the server's own).
func (a *api) errorStatus(r *http.Request, err error) (int, string) {
	code := wire.ErrorCode(err)
	status := http.StatusInternalServerError
	if errors.Is(err, actors.ErrUnknownType) {
		code = "unknown_type" // wire's bad_request, told apart over HTTP
	}
	switch code {
	case wire.CodeDiscarded, wire.CodeShredded:
		status = http.StatusGone
	case wire.CodeIdempotencyKeyReused, wire.CodeCorrupt:
		status = http.StatusUnprocessableEntity
	case wire.CodeNotFound, "unknown_type":
		status = http.StatusNotFound
	case wire.CodeBadRequest:
		status = http.StatusBadRequest
	case wire.CodeRejected, wire.CodeConflict, wire.CodeAlreadyExists:
		status = http.StatusConflict
	case wire.CodeUnavailable, wire.CodeClosed, wire.CodeFenced, wire.CodeMoved:
		status = http.StatusServiceUnavailable
	case wire.CodeOutcomeUnknown, wire.CodeTimeout:
		status = http.StatusGatewayTimeout
	}
	if status == http.StatusInternalServerError || code == wire.CodeCorrupt {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return status, code
}
