package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/server"
	"github.com/factum-dev/factum/wire"
)

// inProcess sends each command with the actor system's Dispatch.
type inProcess struct {
	sys     *server.Server
	payload string
}

func (p *inProcess) send(ctx context.Context, cmds []benchCmd, out []benchOut) {
	for i, c := range cmds {
		cmd := actors.Command{AggregateType: benchType, AggregateID: c.id, Name: "put", Value: PutMore{Data: p.payload}}
		if c.first {
			cmd.Name, cmd.Value = "put-first", PutFirst{Data: p.payload}
		}
		reply, err := p.sys.System().Dispatch(ctx, cmd)
		out[i] = benchOut{version: reply.Version, code: wire.ErrorCode(err), err: err}
	}
}

func (p *inProcess) close() {}

// noopSender answers every command at once, with the aggregate's next
// version: the load generator's floor.
type noopSender struct{ versions map[uuid.UUID]uint64 }

func (n *noopSender) send(_ context.Context, cmds []benchCmd, out []benchOut) {
	for i, c := range cmds {
		n.versions[c.id]++
		out[i] = benchOut{version: n.versions[c.id]}
	}
}

func (n *noopSender) close() {}

// httpSender sends commands over one kept connection: each on its own
// route as JSON or protobuf, or many at once on the batch route.
type httpSender struct {
	conn     *httpConn
	protobuf bool
	batch    bool
	payload  []byte // the command as JSON: {"data":"xxx..."}
	path     []byte
	body     []byte
	reply    factumpb.CommandReply
	replies  factumpb.CommandReplies
}

const protobufType = "application/x-protobuf"

func (h *httpSender) send(_ context.Context, cmds []benchCmd, out []benchOut) {
	if h.batch {
		h.sendBatch(cmds, out)
		return
	}
	for i, c := range cmds {
		out[i] = h.sendOne(c)
	}
}

func (h *httpSender) sendOne(c benchCmd) benchOut {
	name := "put"
	if c.first {
		name = "put-first"
	}
	p := append(h.path[:0], "/v1/"+benchType+"/"...)
	p = appendUUID(p, c.id)
	p = append(p, '/')
	p = append(p, name...)
	h.path = p
	ctype, body := "application/json", h.payload
	if h.protobuf {
		ctype = protobufType
		env := factumpb.CommandEnvelope{Payload: h.payload}
		body, _ = proto.MarshalOptions{}.MarshalAppend(h.body[:0], &env)
		h.body = body
	}
	status, resp, err := h.conn.post(string(p), ctype, body)
	if err != nil {
		return benchOut{code: "transport", err: err}
	}
	if h.protobuf {
		h.reply.Reset()
		if err := proto.Unmarshal(resp, &h.reply); err != nil {
			return benchOut{code: "bad_reply", err: fmt.Errorf("%s: status %d, reply is not a CommandReply: %v", p, status, err)}
		}
		if status != http.StatusOK || h.reply.ErrorCode != "" {
			return benchOut{code: h.reply.ErrorCode, err: fmt.Errorf("%s: status %d: %s: %s", p, status, h.reply.ErrorCode, h.reply.ErrorMessage)}
		}
		return benchOut{version: h.reply.Version}
	}
	if status != http.StatusOK {
		code := jsonString(resp, "error")
		if code == "" {
			code = fmt.Sprintf("http_%d", status)
		}
		return benchOut{code: code, err: fmt.Errorf("%s: status %d: %s", p, status, resp)}
	}
	v, ok := jsonUint(resp, "version")
	if !ok {
		return benchOut{code: "bad_reply", err: fmt.Errorf("%s: no version in the reply %s", p, resp)}
	}
	return benchOut{version: v}
}

// batchCommand is one command of the batch route's JSON body.
type batchCommand struct {
	Type    string          `json:"type"`
	ID      uuid.UUID       `json:"id"`
	Command string          `json:"command"`
	Payload json.RawMessage `json:"payload"`
}

func (h *httpSender) sendBatch(cmds []benchCmd, out []benchOut) {
	var ctype string
	var body []byte
	if h.protobuf {
		ctype = protobufType
		b := factumpb.CommandBatch{Commands: make([]*factumpb.CommandEnvelope, len(cmds))}
		for i, c := range cmds {
			b.Commands[i] = &factumpb.CommandEnvelope{AggregateType: benchType, AggregateId: c.id[:], Command: "put", Payload: h.payload}
			if c.first {
				b.Commands[i].Command = "put-first"
			}
		}
		body, _ = proto.MarshalOptions{}.MarshalAppend(h.body[:0], &b)
	} else {
		ctype = "application/json"
		b := struct {
			Commands []batchCommand `json:"commands"`
		}{make([]batchCommand, len(cmds))}
		for i, c := range cmds {
			b.Commands[i] = batchCommand{Type: benchType, ID: c.id, Command: "put", Payload: h.payload}
			if c.first {
				b.Commands[i].Command = "put-first"
			}
		}
		body, _ = json.Marshal(b)
	}
	h.body = body
	fail := func(code string, err error) {
		for i := range out {
			out[i] = benchOut{code: code, err: err}
		}
	}
	status, resp, err := h.conn.post("/v1/commands", ctype, body)
	if err != nil {
		fail("transport", err)
		return
	}
	if status != http.StatusOK {
		code := fmt.Sprintf("http_%d", status)
		if !h.protobuf {
			if c := jsonString(resp, "error"); c != "" {
				code = c
			}
		}
		fail(code, fmt.Errorf("/v1/commands: status %d: %q", status, resp))
		return
	}
	type reply struct {
		Version uint64 `json:"version"`
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	var replies []reply
	if h.protobuf {
		h.replies.Reset()
		if err := proto.Unmarshal(resp, &h.replies); err != nil {
			fail("bad_reply", fmt.Errorf("/v1/commands: the reply is not CommandReplies: %v", err))
			return
		}
		for _, r := range h.replies.Replies {
			replies = append(replies, reply{Version: r.Version, Error: r.ErrorCode, Message: r.ErrorMessage})
		}
	} else {
		var rs struct {
			Replies []reply `json:"replies"`
		}
		if err := json.Unmarshal(resp, &rs); err != nil {
			fail("bad_reply", fmt.Errorf("/v1/commands: the reply is not JSON: %v", err))
			return
		}
		replies = rs.Replies
	}
	if len(replies) != len(cmds) {
		fail("bad_reply", fmt.Errorf("/v1/commands: %d replies to %d commands", len(replies), len(cmds)))
		return
	}
	for i, r := range replies {
		if r.Error != "" {
			out[i] = benchOut{code: r.Error, err: fmt.Errorf("/v1/commands: command %d: %s: %s", i, r.Error, r.Message)}
			continue
		}
		out[i] = benchOut{version: r.Version}
	}
}

func (h *httpSender) close() { h.conn.close() }

func appendUUID(b []byte, id uuid.UUID) []byte {
	var s [36]byte
	hex := "0123456789abcdef"
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return append(b, s[:]...)
}

// verifyHTTP checks, over the API, that every aggregate the load wrote
// is at least at its last acknowledged version and has applied exactly
// that many events.
func verifyHTTP(ctx context.Context, targets []string, acked map[uuid.UUID]uint64) error {
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	i := 0
	for id, v := range acked {
		if v == 0 {
			continue
		}
		base := targets[i%len(targets)]
		i++
		url := strings.TrimRight(base, "/") + "/v1/" + benchType + "/" + id.String()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("read aggregate %s: %w", id, err)
		}
		var st struct {
			Version uint64 `json:"version"`
			Data    Item   `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return fmt.Errorf("read aggregate %s: status %d: %v", id, res.StatusCode, err)
		}
		if st.Version < v {
			return fmt.Errorf("aggregate %s: version %d acknowledged, the node has %d", id, v, st.Version)
		}
		if st.Data.Puts != st.Version {
			return fmt.Errorf("aggregate %s: at version %d with %d events applied", id, st.Version, st.Data.Puts)
		}
	}
	return nil
}
