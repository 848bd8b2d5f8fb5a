package server

import (
	"net/http"
	"sort"
	"sync"
)

// routeMux is the server's mux; it remembers the pattern of every route
// registered on it, so that the OpenAPI document can be checked against
// what the server serves.
type routeMux struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.record(pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.record(pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *routeMux) record(pattern string) {
	m.mu.Lock()
	m.patterns = append(m.patterns, pattern)
	m.mu.Unlock()
}

func (m *routeMux) routes() []string {
	m.mu.Lock()
	out := append([]string(nil), m.patterns...)
	m.mu.Unlock()
	sort.Strings(out)
	return out
}

// Routes returns the pattern of every route the server serves (net/http's
// syntax, "GET /v1/{type}/{id}"), sorted.
func (s *Server) Routes() []string { return s.mux.routes() }
