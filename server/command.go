package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"
	fastjson "github.com/segmentio/encoding/json"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/wire"
)

// aggregateID reads an {id}: a UUID, or a name (domain.AggregateID).
func aggregateID(typ, raw string) (uuid.UUID, error) { return domain.AggregateID(typ, raw) }

// The content types of the command routes: JSON, or protobuf
// (CommandEnvelope and CommandReply of proto/factum/v1; CommandBatch and
// CommandReplies on the batch route).
const (
	contentJSON     = "application/json"
	contentProtobuf = "application/x-protobuf"
)

// isProtobuf reports whether a Content-Type names a protobuf body.
func isProtobuf(ct string) bool {
	if ct == "" || ct == contentJSON {
		return false
	}
	if ct == contentProtobuf {
		return true
	}
	t, _, err := mime.ParseMediaType(ct)
	return err == nil && (t == contentProtobuf || t == "application/protobuf" || t == "application/vnd.google.protobuf")
}

type commandResponse struct {
	ID uuid.UUID `json:"id"`
	actors.Reply
}

// command serves POST /v1/{type}/{id}/{command}: the body is the command
// as JSON, or a CommandEnvelope when the Content-Type says protobuf.
func (a *api) command(w http.ResponseWriter, r *http.Request) {
	pb := isProtobuf(r.Header.Get("Content-Type"))
	typ, name := r.PathValue("type"), r.PathValue("command")
	id, err := a.ids.id(typ, r.PathValue("id"))
	if err != nil {
		a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
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
		a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf("command %q: %s", name, msg))
		return
	}
	cmd := actors.Command{AggregateType: typ, AggregateID: id, Name: name, Payload: *bp, Timeout: timeout,
		CommandID: r.Header.Get("Idempotency-Key"), CorrelationID: r.Header.Get("X-Correlation-ID")}
	ctx := r.Context()
	if pb {
		var env factumpb.CommandEnvelope
		if err := proto.Unmarshal(*bp, &env); err != nil {
			a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf("command %q: the body is not a CommandEnvelope: %v", name, err))
			return
		}
		if msg := envelopeMatches(&env, typ, id, name); msg != "" {
			a.commandError(w, pb, http.StatusBadRequest, wire.CodeBadRequest, msg)
			return
		}
		c, deadline, _ := wire.Command(&env) // the id was checked against the route's
		cmd.Payload, cmd.NotBefore = c.Payload, c.NotBefore
		cmd.CommandID = pick(c.CommandID, cmd.CommandID)
		cmd.CorrelationID = pick(c.CorrelationID, cmd.CorrelationID)
		if !deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
	}
	// Every event records the id of the command that caused it and a
	// correlation id: without an Idempotency-Key the command gets a new
	// id, and without an X-Correlation-ID the command's id is the
	// correlation's.
	if cmd.CommandID == "" {
		cmd.CommandID, cmd.NewCommandID = a.newID(), true
	}
	if cmd.CorrelationID == "" {
		cmd.CorrelationID = cmd.CommandID
	}
	w.Header()["X-Correlation-Id"] = []string{cmd.CorrelationID}
	reply, err := a.sys.Dispatch(ctx, cmd)
	if err != nil {
		status, code := a.errorStatus(r, err)
		msg := err.Error()
		if !pb && code == wire.CodeBadRequest && len(cmd.Payload) > 0 && !fastjson.Valid(cmd.Payload) {
			msg = fmt.Sprintf("command %q: the body is not valid JSON (%v)", name, err)
		}
		a.commandError(w, pb, status, code, msg)
		return
	}
	if pb {
		a.writeProto(w, http.StatusOK, wire.Reply(reply, nil))
		return
	}
	out := a.replies.Get().(*[]byte)
	b := appendReply((*out)[:0], id, reply)
	b = append(b, '\n')
	w.Header()["Content-Type"] = a.jsonType
	_, _ = w.Write(b) // net/http sets Content-Length: the reply is small
	*out = b
	a.replies.Put(out)
}

func pick(first, second string) string {
	if first != "" {
		return first
	}
	return second
}

// envelopeMatches checks that an envelope's type, id and command, where
// it sets them, are the route's; it returns what differs.
func envelopeMatches(env *factumpb.CommandEnvelope, typ string, id uuid.UUID, name string) string {
	switch {
	case env.AggregateType != "" && env.AggregateType != typ:
		return fmt.Sprintf("the envelope's aggregate_type %q is not the route's %q", env.AggregateType, typ)
	case len(env.AggregateId) != 0 && (len(env.AggregateId) != 16 || uuid.UUID(env.AggregateId) != id):
		return fmt.Sprintf("the envelope's aggregate_id (%d bytes) is not the route's %s", len(env.AggregateId), id)
	case env.Command != "" && env.Command != name:
		return fmt.Sprintf("the envelope's command %q is not the route's %q", env.Command, name)
	}
	return ""
}

// appendReply appends a command's JSON reply, as encoding/json encodes a
// commandResponse, without reflection.
func appendReply(b []byte, id uuid.UUID, r actors.Reply) []byte {
	b = append(b, `{"id":"`...)
	b = appendUUID(b, id)
	b = append(b, `","version":`...)
	b = strconv.AppendUint(b, r.Version, 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, r.Position, 10)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendBool(b, r.Duplicate)
	if len(r.Result) > 0 {
		b = append(b, `,"result":`...)
		b = append(b, r.Result...)
	}
	return append(b, '}')
}

func appendUUID(b []byte, id uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}

// commandError answers a command with an error, as JSON ({"error",
// "message"}) or as a CommandReply with its error code and message.
func (a *api) commandError(w http.ResponseWriter, pb bool, status int, code, msg string) {
	if pb {
		a.writeProto(w, status, wire.ErrorReply(code, msg))
		return
	}
	writeError(w, status, code, msg)
}

func (a *api) writeProto(w http.ResponseWriter, status int, m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		writeError(w, http.StatusInternalServerError, wire.CodeInternal, err.Error())
		return
	}
	w.Header()["Content-Type"] = a.protoType
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// notUTF8 says where a JSON body is not valid UTF-8 (JSON text must be:
// a string with invalid bytes would be stored as replacement characters),
// or "".
func notUTF8(pb bool, b []byte) string {
	if pb || utf8.Valid(b) {
		return ""
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("the body is not valid UTF-8 (byte 0x%02x at offset %d)", b[i], i)
		}
		i += n
	}
	return "the body is not valid UTF-8"
}

// errTooLarge is a body over Config.MaxBody.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string { return fmt.Sprintf("over the limit of %d bytes", e.limit) }

func bodyError(err error) (int, string, string) {
	var tooBig errTooLarge
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, "too_large", "command body is " + tooBig.Error()
	}
	return http.StatusBadRequest, wire.CodeBadRequest, "reading the body: " + err.Error()
}

// readBody reads the request's body, up to maxBody bytes, into a pooled
// buffer: the caller puts it back when done with it. The command's value
// is decoded from it before Dispatch returns, so nothing keeps it.
func (a *api) readBody(r *http.Request) (*[]byte, error) {
	if r.ContentLength > a.maxBody {
		return nil, errTooLarge{a.maxBody}
	}
	bp := a.bodies.Get().(*[]byte)
	b := (*bp)[:0]
	if r.ContentLength > 0 && int64(cap(b)) < r.ContentLength+1 {
		b = make([]byte, 0, r.ContentLength+1)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > a.maxBody {
			*bp = b[:0]
			a.bodies.Put(bp)
			return nil, errTooLarge{a.maxBody}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b[:0]
			a.bodies.Put(bp)
			return nil, err
		}
	}
	*bp = b
	return bp, nil
}

// newBufferPool is a pool of byte buffers that start at size bytes.
func newBufferPool(size int) *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, 0, size)
		return &b
	}}
}

// idCache remembers the ids of names ({id}s that are not UUIDs), which
// cost a SHA-1 each: a name is hashed once, until the cache is full and
// starts again.
type idCache struct {
	mu     sync.RWMutex
	byType map[string]map[string]uuid.UUID
	n, max int
}

func newIDCache(max int) *idCache {
	return &idCache{byType: map[string]map[string]uuid.UUID{}, max: max}
}

func (c *idCache) id(typ, raw string) (uuid.UUID, error) {
	if len(raw) == 36 {
		if id, err := uuid.Parse(raw); err == nil {
			return id, nil
		}
	}
	c.mu.RLock()
	id, ok := c.byType[typ][raw]
	c.mu.RUnlock()
	if ok {
		return id, nil
	}
	id, err := domain.AggregateID(typ, raw)
	if err != nil {
		return id, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n >= c.max {
		c.byType, c.n = map[string]map[string]uuid.UUID{}, 0
	}
	m := c.byType[typ]
	if m == nil {
		m = map[string]uuid.UUID{}
		c.byType[strings.Clone(typ)] = m
	}
	if _, ok := m[raw]; !ok {
		m[strings.Clone(raw)] = id
		c.n++
	}
	return id, nil
}
