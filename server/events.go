package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/cluster"
	"github.com/factum-dev/factum/journal"
)

// storedEvent is one event of an aggregate's history, decoded.
type storedEvent struct {
	Version uint64 `json:"version"`
	Type    string `json:"type"`
	// SchemaVersion is the version of Type that Data is at (after
	// upcasting); StoredSchemaVersion the one it was written at.
	SchemaVersion       uint32          `json:"schema_version"`
	StoredSchemaVersion uint32          `json:"stored_schema_version"`
	Time                time.Time       `json:"time"`
	Data                json.RawMessage `json:"data"`
	CorrelationID       string          `json:"correlation_id,omitempty"`
	CausationID         string          `json:"causation_id,omitempty"`
	// Writer is the node that wrote it (in a cluster), with its lease
	// epoch in WriterEpoch.
	Writer      string            `json:"writer,omitempty"`
	WriterEpoch string            `json:"writer_epoch,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
}

type eventsResponse struct {
	ID     uuid.UUID     `json:"id"`
	Type   string        `json:"type"`
	Events []storedEvent `json:"events"`
}

// events is GET /v1/{type}/{id}/events?from=&to=: the aggregate's stored
// events with from <= version <= to (to 0 or absent: to the last),
// decoded. A crypto-shredded subject answers 410.
func (a *api) events(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	id, err := aggregateID(typ, r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if !a.hosts(typ) {
		writeError(w, http.StatusNotFound, "unknown_type", fmt.Sprintf("no aggregate type %q", typ))
		return
	}
	q := r.URL.Query()
	from, err := queryVersion(q.Get("from"), 1)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "from: "+err.Error())
		return
	}
	to, err := queryVersion(q.Get("to"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "to: "+err.Error())
		return
	}
	if to != 0 && to < from {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("to %d is before from %d", to, from))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	es := a.sys.App().Events()
	stored, err := es.AggregateType(ctx, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if stored == "" || stored != typ {
		a.fail(w, r, fmt.Errorf("%s %s has no events: %w", typ, id, actors.ErrAggregateNotFound))
		return
	}
	recs, err := es.Journal().Read(ctx, id, from, to)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := eventsResponse{ID: id, Type: typ, Events: make([]storedEvent, 0, len(recs))}
	for i := range recs {
		e, err := a.decodeRecord(ctx, recs[i])
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out.Events = append(out.Events, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeRecord decodes one stored record for an answer.
func (a *api) decodeRecord(ctx context.Context, rec journal.Record) (storedEvent, error) {
	env, err := a.sys.App().Events().Decode(ctx, rec)
	if err != nil {
		return storedEvent{}, fmt.Errorf("%s version %d: %w", rec.AggregateID, rec.Version, err)
	}
	schema := rec.SchemaVersion
	if enc, err := a.sys.App().Registry().Encode(env.Data); err == nil {
		schema = enc.SchemaVersion
	}
	data, err := json.Marshal(env.Data)
	if err != nil {
		return storedEvent{}, fmt.Errorf("%s version %d: %s as JSON: %w", rec.AggregateID, rec.Version, rec.Type, err)
	}
	return storedEvent{Version: rec.Version, Type: rec.Type, SchemaVersion: schema, StoredSchemaVersion: rec.SchemaVersion,
		Time: rec.Time, Data: data, CorrelationID: rec.Meta.CorrelationID, CausationID: rec.Meta.CausationID,
		Writer: rec.Meta.Extra[cluster.MetaWriterNode], WriterEpoch: rec.Meta.Extra[cluster.MetaWriterEpoch], Extra: rec.Meta.Extra}, nil
}

func queryVersion(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a version (a whole number from 0)", s)
	}
	return v, nil
}
