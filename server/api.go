package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/storage/encryption"
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
}

func newAPI(s *Server) *api {
	return &api{s: s, sys: s.sys, log: s.log, maxBody: s.cfg.MaxBody, timeout: s.cfg.RequestTimeout, maxLimit: 1000}
}

func (a *api) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /v1/types", a.types)
	mux.HandleFunc("GET /v1/log", a.logSelect)
	mux.HandleFunc("GET /v1/projections", a.projections)
	mux.HandleFunc("GET /v1/{type}/{id}", a.state)
	mux.HandleFunc("POST /v1/{type}/{id}/{command}", a.command)
	mux.HandleFunc("GET /v1/admin/verify", a.verify)
	mux.HandleFunc("POST /v1/admin/shred/{subject}", a.shred)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	})
	return mux
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
	code := wire.ErrorCode(err)
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, encryption.ErrShredded):
		status, code = http.StatusGone, "shredded"
	case errors.Is(err, actors.ErrUnknownType):
		status, code = http.StatusNotFound, "unknown_type"
	case code == "not_found":
		status = http.StatusNotFound
	case code == "bad_request":
		status = http.StatusBadRequest
	case code == "rejected", code == "conflict", code == "already_exists":
		status = http.StatusConflict
	case code == "unavailable", code == "closed":
		status = http.StatusServiceUnavailable
	case code == "outcome_unknown", code == "timeout":
		status = http.StatusGatewayTimeout
	}
	if status == http.StatusInternalServerError {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, status, code, err.Error())
}

// aggregateID reads an {id}: a UUID, or a name (domain.AggregateID).
func aggregateID(typ, raw string) (uuid.UUID, error) { return domain.AggregateID(typ, raw) }

type commandResponse struct {
	ID uuid.UUID `json:"id"`
	actors.Reply
}

func (a *api) command(w http.ResponseWriter, r *http.Request) {
	typ, cmd := r.PathValue("type"), r.PathValue("command")
	id, err := aggregateID(typ, r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	body, err := readBody(w, r, a.maxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("command body is over the limit of %d bytes", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("command %q: the body is not valid JSON", cmd))
		return
	}
	correlation := r.Header.Get("X-Correlation-ID")
	if correlation == "" {
		correlation = uuid.NewString()
	}
	w.Header().Set("X-Correlation-ID", correlation)
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	reply, err := a.sys.Dispatch(ctx, actors.Command{
		AggregateType: typ, AggregateID: id, Name: cmd, Payload: body,
		CommandID: commandID(r), CorrelationID: correlation,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, commandResponse{ID: id, Reply: reply})
}

// commandID is the request's Idempotency-Key, or a new id: every event
// records the id of the command that caused it.
func commandID(r *http.Request) string {
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		return k
	}
	return uuid.NewString()
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

type stateResponse struct {
	ID uuid.UUID `json:"id"`
	actors.State
}

func (a *api) state(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	id, err := aggregateID(typ, r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	var version uint64
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.ParseUint(v, 10, 64); err != nil || version == 0 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("version %q: want a whole number from 1", v))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	st, err := a.sys.State(ctx, typ, id, version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, stateResponse{ID: id, State: st})
}

func (a *api) types(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"types": a.sys.Types()})
}

func (a *api) logSelect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	partition, err := queryInt(q.Get("partition"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "partition: "+err.Error())
		return
	}
	start, err := queryInt(q.Get("start"), 1)
	if err != nil || start < 1 {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("start %q: want a position from 1", q.Get("start")))
		return
	}
	limit, err := queryInt(q.Get("limit"), 100)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "limit: "+err.Error())
		return
	}
	nlog := a.sys.App().NotificationLog()
	if partition < 0 || partition >= nlog.Partitions() {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("partition %d: the log has partitions 0..%d", partition, nlog.Partitions()-1))
		return
	}
	var wait time.Duration
	if ws := q.Get("wait"); ws != "" {
		if wait, err = time.ParseDuration(ws); err != nil || wait < 0 || wait > time.Minute {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("wait %q: want a duration up to 1m, such as 5s", ws))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout+wait)
	defer cancel()
	j := a.sys.App().Events().Journal()
	head, err := j.Head(ctx, partition)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if wait > 0 && head < uint64(start) {
		// Long poll: answer when the log reaches start, or after wait.
		wctx, wcancel := context.WithTimeout(ctx, wait)
		h, err := j.Wait(wctx, partition, uint64(start)-1)
		wcancel()
		if err != nil && wctx.Err() == nil {
			a.fail(w, r, err)
			return
		}
		head = max(head, h)
	}
	ns, err := nlog.SelectPartition(ctx, partition, uint64(start), limit)
	if err != nil {
		if errors.Is(err, eventlog.ErrLimit) {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		a.fail(w, r, err)
		return
	}
	resp := eventlog.Page{Partition: partition, Partitions: nlog.Partitions(), Head: head,
		Notifications: make([]eventlog.PageEntry, 0, len(ns)), Next: uint64(start)}
	for _, n := range ns {
		e, err := nlog.Decode(ctx, n)
		if err != nil {
			a.fail(w, r, fmt.Errorf("log position %d: %w", n.Position, err))
			return
		}
		var schema uint32
		if enc, err := a.sys.App().Registry().Encode(e.Data); err == nil {
			schema = enc.SchemaVersion // the version e.Data is at, after upcasting
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			a.fail(w, r, fmt.Errorf("log position %d: %s as JSON: %w", n.Position, n.Type, err))
			return
		}
		resp.Head = max(resp.Head, n.Position)
		resp.Notifications = append(resp.Notifications, eventlog.PageEntry{
			Partition: n.Partition, Position: n.Position, AggregateID: n.AggregateID, Version: n.Version,
			Type: n.Type, SchemaVersion: schema, Time: n.Time, Data: data, CorrelationID: n.Meta.CorrelationID,
			CausationID: n.Meta.CausationID, Extra: n.Meta.Extra,
		})
		resp.Next = n.Position + 1
	}
	writeJSON(w, http.StatusOK, resp)
}

// projections reports each projection's and process manager's position
// and lag in each partition.
func (a *api) projections(w http.ResponseWriter, r *http.Request) {
	out := []projectionStatus{}
	if r := a.s.Runner(); r != nil {
		for _, s := range r.Status() {
			out = append(out, projectionStatus{Status: s, TimeLagMS: float64(s.TimeLag) / 1e6})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"projections": out})
}

// projectionStatus is a runner's Status with the time lag in ms as well.
type projectionStatus struct {
	projections.Status
	TimeLagMS float64 `json:"time_lag_ms"`
}

func queryInt(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

// verify checks the hash chain of one aggregate (?aggregate=ID, with
// ?type= when ID is a name) or of a whole log partition (?partition=N).
func (a *api) verify(w http.ResponseWriter, r *http.Request) {
	if a.s.pipe.Chain == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "hash chaining is off: start the node with FACTUM_HASH_CHAIN=true")
		return
	}
	q := r.URL.Query()
	ctx, cancel := context.WithTimeout(r.Context(), 10*a.timeout)
	defer cancel()
	var err error
	switch {
	case q.Get("aggregate") != "":
		id, idErr := aggregateID(q.Get("type"), q.Get("aggregate"))
		if idErr != nil {
			writeError(w, http.StatusBadRequest, "bad_request", idErr.Error())
			return
		}
		err = hashchain.Verify(ctx, a.s.j, id)
	case q.Get("partition") != "":
		p, pErr := queryInt(q.Get("partition"), 0)
		if pErr != nil || p < 0 || p >= a.s.j.Partitions() {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("partition %q: the log has partitions 0..%d", q.Get("partition"), a.s.j.Partitions()-1))
			return
		}
		err = hashchain.VerifyLog(ctx, a.s.j, p)
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "say what to verify: ?aggregate=ID or ?partition=N")
		return
	}
	var broken *hashchain.BrokenLinkError
	switch {
	case errors.As(err, &broken):
		writeError(w, http.StatusConflict, "broken_chain", err.Error())
	case err != nil:
		a.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]bool{"verified": true})
	}
}

// shred deletes a subject's data key (by default a subject is an
// aggregate's id): its events stay, but can never be read again.
func (a *api) shred(w http.ResponseWriter, r *http.Request) {
	if a.s.pipe.Cipher == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "encryption is off: start the node with FACTUM_CIPHER_KEY and FACTUM_PER_SUBJECT_KEYS=true")
		return
	}
	subject := r.PathValue("subject")
	if err := a.s.pipe.Cipher.Shred(r.Context(), subject); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"shredded": subject})
}
