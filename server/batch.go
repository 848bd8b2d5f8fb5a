package server

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/google/uuid"
	fastjson "github.com/segmentio/encoding/json"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/wire"
)

// MaxBatch is the most commands one request to the batch route may carry.
const MaxBatch = 1000

// batchWorkers is how many of a batch's commands run at once: enough for
// the journal's group commit to gather them into a few round trips.
const batchWorkers = 32

// batchItem is one command of a JSON batch.
type batchItem struct {
	Type          string              `json:"type"`
	ID            string              `json:"id"`
	Command       string              `json:"command"`
	Payload       fastjson.RawMessage `json:"payload,omitempty"`
	CommandID     string              `json:"command_id,omitempty"`
	CorrelationID string              `json:"correlation_id,omitempty"`
}

// batchReply is one command's answer in a JSON batch reply: the reply of
// the command route, or its error with the status the command route
// would have answered.
type batchReply struct {
	ID        string `json:"id,omitempty"`
	Version   uint64 `json:"version"`
	Position  uint64 `json:"position"`
	Duplicate bool   `json:"duplicate"`
	// Result is the handler's result, as JSON (see actors.HandleResult).
	Result  fastjson.RawMessage `json:"result,omitempty"`
	Error   string              `json:"error,omitempty"`
	Message string              `json:"message,omitempty"`
	Status  int                 `json:"status,omitempty"`
}

// batch serves POST /v1/commands: many commands in one request, each run
// and answered on its own (one failing does not fail the others), in
// the order of the request. Commands for the same aggregate run in the
// order they are given; others run concurrently, so that the journal
// commits them together. JSON:
//
//	{"commands": [{"type": "bank.Account", "id": "alice", "command": "deposit",
//	               "payload": {"amount": 10}, "command_id": "...", "correlation_id": "..."}]}
//	-> {"replies": [{"id": "...", "version": 3, "position": 17, "duplicate": false}
//	                | {"id": "...", "error": "rejected", "message": "...", "status": 409}]}
//
// or protobuf: a CommandBatch, answered with CommandReplies.
func (a *api) batch(w http.ResponseWriter, r *http.Request) {
	pb := isProtobuf(r.Header.Get("Content-Type"))
	timeout, err := a.requestTimeout(r)
	if err != nil {
		a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
	bp, err := a.readBody(r)
	if err != nil {
		status, code, msg := bodyError(err)
		a.commandError(w, pb, status, code, msg)
		return
	}
	defer a.bodies.Put(bp)
	if msg := notUTF8(pb, *bp); msg != "" {
		a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, "batch: "+msg)
		return
	}
	var cmds []actors.Command
	var ids []uuid.UUID
	var errs []batchReply // per command, a problem found before it ran
	add := func(typ, rawID string, id uuid.UUID, name string, payload []byte, commandID, correlationID string) {
		i := len(cmds)
		if id == uuid.Nil && rawID != "" {
			var err error
			if id, err = a.ids.id(typ, rawID); err != nil {
				errs[i] = batchReply{Error: wire.CodeBadRequest, Message: fmt.Sprintf("command %d: id %q: %v", i, rawID, err), Status: http.StatusBadRequest}
			}
		}
		newID := commandID == ""
		if newID {
			commandID = a.newID()
		}
		cmds = append(cmds, actors.Command{AggregateType: typ, AggregateID: id, Name: name, Payload: payload,
			CommandID: commandID, NewCommandID: newID, CorrelationID: pick(correlationID, commandID), Timeout: timeout})
		ids = append(ids, id)
	}
	if pb {
		var b factumpb.CommandBatch
		if err := proto.Unmarshal(*bp, &b); err != nil {
			a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, "the body is not a CommandBatch: "+err.Error())
			return
		}
		if !a.batchSize(w, pb, len(b.Commands)) {
			return
		}
		errs = make([]batchReply, len(b.Commands))
		for _, e := range b.Commands {
			var id uuid.UUID
			raw := ""
			if len(e.AggregateId) == 16 {
				id = uuid.UUID(e.AggregateId)
			} else {
				raw = string(e.AggregateId) // a UUID's text or a name
			}
			add(e.AggregateType, raw, id, e.Command, e.Payload, e.CommandId, e.CorrelationId)
		}
	} else {
		var b struct {
			Commands []batchItem `json:"commands"`
		}
		rest, err := fastjson.Parse(*bp, &b, fastjson.DisallowUnknownFields)
		if err == nil && len(rest) > 0 {
			err = fmt.Errorf("more than one JSON value")
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "the body is not a batch of commands ({\"commands\": [...]}): "+err.Error())
			return
		}
		if !a.batchSize(w, pb, len(b.Commands)) {
			return
		}
		errs = make([]batchReply, len(b.Commands))
		for _, c := range b.Commands {
			add(c.Type, c.ID, uuid.Nil, c.Command, c.Payload, c.CommandID, c.CorrelationID)
		}
	}
	replies := a.runBatch(r, cmds, errs)
	if pb {
		out := &factumpb.CommandReplies{Replies: make([]*factumpb.CommandReply, len(replies))}
		for i, rep := range replies {
			out.Replies[i] = &factumpb.CommandReply{Version: rep.Version, Position: rep.Position, Duplicate: rep.Duplicate, Result: rep.Result,
				ErrorCode: rep.Error, ErrorMessage: rep.Message}
		}
		a.writeProto(w, http.StatusOK, out)
		return
	}
	out := a.replies.Get().(*[]byte)
	b := append((*out)[:0], `{"replies":[`...)
	for i, rep := range replies {
		if i > 0 {
			b = append(b, ',')
		}
		if rep.Error == "" {
			b = appendReply(b, ids[i], actors.Reply{Version: rep.Version, Position: rep.Position, Duplicate: rep.Duplicate, Result: rep.Result})
			continue
		}
		rep.ID = ids[i].String()
		b, _ = fastjson.Append(b, rep, fastjson.EscapeHTML)
	}
	b = append(b, "]}\n"...)
	w.Header()["Content-Type"] = a.jsonType
	_, _ = w.Write(b)
	*out = b
	a.replies.Put(out)
}

func (a *api) batchSize(w http.ResponseWriter, pb bool, n int) bool {
	switch {
	case n == 0:
		a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, "the batch has no commands")
		return false
	case n > MaxBatch:
		a.commandError(w, pb, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the batch has %d commands; at most %d", n, MaxBatch))
		return false
	}
	return true
}

// runBatch runs the commands and returns their replies in order: the
// commands of one aggregate one after the other, in order, on one of up
// to batchWorkers goroutines.
func (a *api) runBatch(r *http.Request, cmds []actors.Command, replies []batchReply) []batchReply {
	ctx := r.Context()
	run := func(i int) {
		if replies[i].Error != "" {
			return
		}
		rep, err := a.sys.Dispatch(ctx, cmds[i])
		if err != nil {
			status, code := a.errorStatus(r, err)
			replies[i] = batchReply{Error: code, Message: err.Error(), Status: status}
			return
		}
		replies[i] = batchReply{Version: rep.Version, Position: rep.Position, Duplicate: rep.Duplicate, Result: rep.Result}
	}
	workers := min(len(cmds), batchWorkers)
	if workers <= 1 {
		for i := range cmds {
			run(i)
		}
		return replies
	}
	// Worker k runs the commands whose aggregate id falls to it, in order.
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cmds {
				if int(cmds[i].AggregateID[15])%workers == k {
					run(i)
				}
			}
		}()
	}
	wg.Wait()
	return replies
}
