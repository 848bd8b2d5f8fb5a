package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/factum-dev/factum/eventlog"
	"github.com/factum-dev/factum/projections"
)

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
	types := eventTypes(q.Get("types"))
	resp := eventlog.Page{Partition: partition, Partitions: nlog.Partitions(), Head: head,
		Notifications: make([]eventlog.PageEntry, 0, len(ns)), Next: uint64(start)}
	reg := a.sys.App().Registry()
	for _, n := range ns {
		resp.Head = max(resp.Head, n.Position)
		if types != nil && !types[n.Type] {
			// Filtered out: its position is passed, not lost.
			resp.Next = n.Position + 1
			continue
		}
		e, err := nlog.Decode(ctx, n)
		if mark := eventlog.Mark(err); mark != "" {
			// One unreadable event does not stop the readers: it is
			// served marked, its place and type kept, its data absent.
			resp.Notifications = append(resp.Notifications, eventlog.PageEntry{
				Partition: n.Partition, Position: n.Position, AggregateID: n.AggregateID, Version: n.Version,
				Type: n.Type, SchemaVersion: n.SchemaVersion, Time: n.Time, CorrelationID: n.Meta.CorrelationID,
				CausationID: n.Meta.CausationID, Extra: n.Meta.Extra, Unreadable: mark, Error: err.Error(),
			})
			resp.Next = n.Position + 1
			continue
		}
		if err != nil {
			a.fail(w, r, fmt.Errorf("log position %d: %w", n.Position, err))
			return
		}
		// The version e.Data is at, after upcasting: its type's current one.
		schema, _ := reg.SchemaVersionOf(e.Data)
		data, err := fastjson.Marshal(e.Data)
		if err != nil {
			a.fail(w, r, fmt.Errorf("log position %d: %s as JSON: %w", n.Position, n.Type, err))
			return
		}
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

// eventTypes parses ?types=a,b (the seeds' topics): nil for all types.
func eventTypes(s string) map[string]bool {
	if s == "" {
		return nil
	}
	types := map[string]bool{}
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			types[t] = true
		}
	}
	return types
}
