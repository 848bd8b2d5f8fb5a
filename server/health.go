package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// ReadinessCheck is one check of /readyz: nil when its part is ready, or
// an error that says why not.
type ReadinessCheck func(ctx context.Context) error

// AddReadinessCheck adds a check to /readyz under name (the cluster's
// membership, say); the journal's is there from New.
func (s *Server) AddReadinessCheck(name string, check ReadinessCheck) {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.ready == nil {
		s.ready = map[string]ReadinessCheck{}
	}
	s.ready[name] = check
}

// journalReady checks that the journal answers: it reads the head of
// partition 0.
func (s *Server) journalReady(ctx context.Context) error {
	if _, err := s.j.Head(ctx, 0); err != nil {
		return fmt.Errorf("the journal does not answer: %w", err)
	}
	return nil
}

// healthz is liveness: the process serves HTTP.
func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is the body of /readyz.
type readiness struct {
	// Status is "ready" or "unavailable".
	Status string `json:"status"`
	// Checks are each check's "ok" or the reason it failed.
	Checks map[string]string `json:"checks"`
}

// readyz is readiness: every check passes (the journal answers, and what
// else was added) within readyTimeout, or 503 with the reasons.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	a.s.readyMu.Lock()
	names := make([]string, 0, len(a.s.ready))
	for n := range a.s.ready {
		names = append(names, n)
	}
	checks := make([]ReadinessCheck, len(names))
	sort.Strings(names)
	for i, n := range names {
		checks[i] = a.s.ready[n]
	}
	a.s.readyMu.Unlock()
	out := readiness{Status: "ready", Checks: make(map[string]string, len(names))}
	status := http.StatusOK
	for i, n := range names {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := checks[i](ctx)
		cancel()
		if err != nil {
			out.Checks[n] = err.Error()
			out.Status, status = "unavailable", http.StatusServiceUnavailable
			continue
		}
		out.Checks[n] = "ok"
	}
	writeJSON(w, status, out)
}
