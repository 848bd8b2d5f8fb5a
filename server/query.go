package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
)

type stateResponse struct {
	ID uuid.UUID `json:"id"`
	actors.State
}

func (a *api) state(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	id, err := a.ids.id(typ, r.PathValue("id"))
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
	timeout, err := a.requestTimeout(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
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
