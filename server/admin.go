package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/factum-dev/factum/journal/hashchain"
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
