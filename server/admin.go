package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/journal/hashchain"
	"github.com/factum-dev/factum/projections"
)

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

// shred deletes an aggregate's data key: its events stay, but can never
// be read again. The subject is the aggregate's id, named as in the
// aggregate's URL: a UUID, or a name with ?type=T (the name's id within
// type T, domain.AggregateID). The aggregate's live actor is stopped, so
// that no decrypted state outlives the key.
func (a *api) shred(w http.ResponseWriter, r *http.Request) {
	if a.s.pipe.Cipher == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "encryption is off: start the node with FACTUM_CIPHER_KEY and FACTUM_PER_SUBJECT_KEYS=true")
		return
	}
	raw, typ := r.PathValue("subject"), r.URL.Query().Get("type")
	id, err := uuid.Parse(raw)
	switch {
	case err == nil:
	case typ == "":
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf(
			"subject %q is not an aggregate id: give the aggregate's UUID, or its name with the type it belongs to (?type=T), as in its URL /v1/T/%s", raw, raw))
		return
	default:
		if !a.hosts(typ) {
			writeError(w, http.StatusNotFound, "unknown_type", fmt.Sprintf("aggregate type %q is not hosted", typ))
			return
		}
		if id, err = aggregateID(typ, raw); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
	}
	if err := a.s.pipe.Cipher.Shred(r.Context(), id.String()); err != nil {
		a.fail(w, r, err)
		return
	}
	// The key is gone: stop the live actor, whose state was decrypted with
	// it, on every node of a cluster (the owner is likely another). A read
	// or command from now on rebuilds it, and fails.
	if a.s.node != nil {
		evicted, err := a.s.node.Evict(r.Context(), id)
		body := map[string]any{"shredded": id.String(), "evicted": evicted}
		if err != nil {
			a.s.log.Warn("shred: the live actor may stay on members not reached", "subject", id, "err", err)
			body["evict_error"] = err.Error()
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	evicted := a.sys.Evict(id)
	writeJSON(w, http.StatusOK, map[string]any{"shredded": id.String(), "evicted": evicted})
}

// hosts reports whether the aggregate type typ is hosted.
func (a *api) hosts(typ string) bool {
	for _, t := range a.sys.Types() {
		if t.Name == typ {
			return true
		}
	}
	return false
}

// resetProjection rebuilds a projection from the start of the log
// (projections.Runner.Reset).
func (a *api) resetProjection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	run := a.s.Runner()
	if run == nil {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("projection %q: the server runs no projections", name))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	err := run.Reset(ctx, name)
	if err == nil && a.s.node != nil {
		// The other nodes restart the projection's workers in the
		// partitions they own, from 0; one not reached rebuilds at its
		// next commit, refused since the reset.
		if rerr := a.s.node.RestartProjection(ctx, name); rerr != nil {
			a.s.log.Warn("projection reset: some members did not restart it at once", "projection", name, "err", rerr)
		}
	}
	switch {
	case errors.Is(err, projections.ErrUnknownProjection):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, projections.ErrRunning):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case err != nil:
		a.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"reset": name})
	}
}
