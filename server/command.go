package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
)

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
