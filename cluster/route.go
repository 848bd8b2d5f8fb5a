package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/wire"
)

// The internal routes a node serves its peers on (beside the public API).
const (
	CommandPath = "/internal/v1/command"
	StatePath   = "/internal/v1/state/"
)

var _ actors.Router = (*Node)(nil)

// retryable says that the command was not run (or will be absorbed by
// its command id) and should be sent again to a fresher owner.
func retryable(err error) bool {
	return errors.Is(err, wire.ErrMoved) || errors.Is(err, journal.ErrFenced) || errors.Is(err, actors.ErrClosed)
}

// local runs f if this node serves p, holding p's read lock so that a
// handover waits for it; ok is false when it does not serve p.
func (n *Node) local(p int, f func()) (ok bool) {
	ps := &n.own.parts[p]
	if !ps.serving.Load() {
		return false
	}
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	if !ps.serving.Load() {
		return false
	}
	f()
	return true
}

// Route implements actors.Router: c runs here if this node serves its
// partition, otherwise it goes to the owner. A command that was not run
// (the owner moved, the append was fenced, the owner is going away) is
// sent again after the view is refreshed, until ctx ends; a forward whose
// outcome is unknown is sent again with the same command id, which the
// aggregate's de-duplication absorbs.
func (n *Node) Route(ctx context.Context, c actors.Command, local func(context.Context, actors.Command) (actors.Reply, error)) (actors.Reply, error) {
	if c.CommandID == "" {
		c.CommandID = uuid.NewString() // a forward may be sent twice
	}
	// A command served here on the first try waits for its reply with
	// c.Timeout on the system's reused timer, as on a single node; the
	// route's deadline becomes a context only when a forward or a retry
	// needs one.
	var deadline time.Time
	if _, ok := ctx.Deadline(); !ok {
		wait := n.cfg.RouteTimeout
		if c.Timeout > 0 {
			wait = c.Timeout
		}
		deadline, c.Timeout = time.Now().Add(wait), wait
	}
	var cancel context.CancelFunc
	defer func() {
		if cancel != nil {
			cancel()
		}
	}()
	bounded := func() context.Context {
		if !deadline.IsZero() && cancel == nil {
			ctx, cancel = context.WithDeadline(ctx, deadline)
		}
		return ctx
	}
	p := journal.PartitionOf(c.AggregateID, n.own.Partitions())
	var unknown bool
	var last error
	for attempt := 0; ; attempt++ {
		var rep actors.Reply
		var err error
		if !n.local(p, func() { rep, err = local(ctx, c) }) {
			rep, err = n.forward(bounded(), p, c)
			if errors.Is(err, errTransport) {
				unknown = unknown || errors.Is(err, journal.ErrOutcomeUnknown)
			}
		}
		if err == nil || !(retryable(err) || errors.Is(err, errTransport)) {
			return rep, err
		}
		last = err
		if !n.backoff(bounded(), attempt) {
			break
		}
	}
	if unknown {
		return actors.Reply{}, fmt.Errorf("cluster: %s %s: command %s: partition %d: %w: %w (last: %v)",
			c.AggregateType, c.AggregateID, c.Name, p, journal.ErrOutcomeUnknown, ctx.Err(), last)
	}
	return actors.Reply{}, fmt.Errorf("cluster: %s %s: command %s: partition %d: no owner took it before the deadline: %w (last: %v)",
		c.AggregateType, c.AggregateID, c.Name, p, wire.ErrMoved, last)
}

// backoff asks for a fresher view and waits a little (longer each
// attempt); false when ctx ended.
func (n *Node) backoff(ctx context.Context, attempt int) bool {
	select {
	case n.refresh <- struct{}{}:
	default:
	}
	d := min(10*time.Millisecond<<min(attempt, 5), 200*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errTransport marks a failure to reach the owner; it is wrapped with
// journal.ErrOutcomeUnknown when the request may have arrived.
var errTransport = errors.New("cluster: forward failed")

// ownerAddr returns the address of p's owner, or "" when the node knows
// none (other than itself).
func (n *Node) ownerAddr(p int) string {
	v := n.view.Load()
	holder := v.Leases[p].Holder
	if holder == "" || holder == n.cfg.NodeID {
		return ""
	}
	return v.addrs[holder]
}

// forward sends c to p's owner and returns its reply.
func (n *Node) forward(ctx context.Context, p int, c actors.Command) (_ actors.Reply, err error) {
	addr := n.ownerAddr(p)
	if addr == "" {
		return actors.Reply{}, fmt.Errorf("cluster: partition %d has no owner this node knows: %w", p, wire.ErrMoved)
	}
	if o := n.cfg.Observer; o != nil {
		defer observeForward(o, ForwardCommand, time.Now(), &err)
	}
	deadline, _ := ctx.Deadline()
	body, err := proto.Marshal(wire.Envelope(c, deadline))
	if err != nil {
		return actors.Reply{}, fmt.Errorf("cluster: encode command: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ForwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+CommandPath, bytes.NewReader(body))
	if err != nil {
		return actors.Reply{}, fmt.Errorf("cluster: forward to %s: %w", addr, err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	// The caller's trace (W3C traceparent) goes with the forward, so the
	// owner's spans join it; without a span in ctx nothing is added.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	res, err := n.http.Do(req)
	if err != nil {
		return actors.Reply{}, n.transportErr(addr, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return actors.Reply{}, n.transportErr(addr, err)
	}
	if res.StatusCode != http.StatusOK {
		return actors.Reply{}, fmt.Errorf("cluster: forward to %s: status %d: %s: %w", addr, res.StatusCode, bytes.TrimSpace(b), errTransport)
	}
	var rep factumpb.CommandReply
	if err := proto.Unmarshal(b, &rep); err != nil {
		return actors.Reply{}, fmt.Errorf("cluster: forward to %s: reply: %v: %w: %w", addr, err, errTransport, journal.ErrOutcomeUnknown)
	}
	return wire.FromReply(&rep)
}

// transportErr: a request that may have reached the owner has an unknown
// outcome; one that could not be sent (no connection) has none.
func (n *Node) transportErr(addr string, err error) error {
	if isDialError(err) {
		return fmt.Errorf("cluster: forward to %s: %w: %w", addr, errTransport, err)
	}
	return fmt.Errorf("cluster: forward to %s: %w: %w: %w", addr, errTransport, journal.ErrOutcomeUnknown, err)
}

// RouteState implements actors.Router: the owner answers queries, so no
// node serves a state it may not have seen the end of.
func (n *Node) RouteState(ctx context.Context, typ string, id uuid.UUID, version uint64, local func(context.Context) (actors.State, error)) (actors.State, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RouteTimeout)
		defer cancel()
	}
	p := journal.PartitionOf(id, n.own.Partitions())
	var last error
	for attempt := 0; ; attempt++ {
		var st actors.State
		var err error
		if !n.local(p, func() { st, err = local(ctx) }) {
			st, err = n.forwardState(ctx, p, typ, id, version)
		}
		if err == nil || !(retryable(err) || errors.Is(err, errTransport)) {
			return st, err
		}
		last = err
		if !n.backoff(ctx, attempt) {
			break
		}
	}
	return actors.State{}, fmt.Errorf("cluster: %s %s: state: partition %d: no owner answered before the deadline: %w (last: %v)",
		typ, id, p, wire.ErrMoved, last)
}

// stateReply is the body of an answer on StatePath.
type stateReply struct {
	State   *actors.State `json:"state,omitempty"`
	Code    string        `json:"error,omitempty"`
	Message string        `json:"message,omitempty"`
}

func (n *Node) forwardState(ctx context.Context, p int, typ string, id uuid.UUID, version uint64) (_ actors.State, err error) {
	addr := n.ownerAddr(p)
	if addr == "" {
		return actors.State{}, fmt.Errorf("cluster: partition %d has no owner this node knows: %w", p, wire.ErrMoved)
	}
	if o := n.cfg.Observer; o != nil {
		defer observeForward(o, ForwardQuery, time.Now(), &err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ForwardTimeout)
	defer cancel()
	u := "http://" + addr + StatePath + url.PathEscape(typ) + "/" + id.String() + "?version=" + strconv.FormatUint(version, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return actors.State{}, fmt.Errorf("cluster: query %s: %w", addr, err)
	}
	// The caller's trace (W3C traceparent) goes with the forward, so the
	// owner's spans join it; without a span in ctx nothing is added.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	res, err := n.http.Do(req)
	if err != nil {
		return actors.State{}, fmt.Errorf("cluster: query %s: %w: %w", addr, errTransport, err)
	}
	defer res.Body.Close()
	var r stateReply
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return actors.State{}, fmt.Errorf("cluster: query %s: status %d: %v: %w", addr, res.StatusCode, err, errTransport)
	}
	if r.Code != "" {
		return actors.State{}, wire.Error(r.Code, r.Message)
	}
	if r.State == nil {
		return actors.State{}, fmt.Errorf("cluster: query %s: no state in the answer: %w", addr, errTransport)
	}
	return *r.State, nil
}

// Handler serves the internal routes: commands forwarded by peers
// (CommandPath, a CommandEnvelope in, a CommandReply out, both protobuf)
// and their queries (StatePath). A node that does not serve the
// aggregate's partition answers "moved" and runs nothing.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+CommandPath, n.serveCommand)
	mux.HandleFunc("GET "+StatePath+"{type}/{id}", n.serveState)
	mux.HandleFunc("POST "+EvictPath+"{id}", n.serveEvict)
	mux.HandleFunc("POST "+RestartPath+"{name}/restart", n.serveRestart)
	return mux
}

const maxEnvelope = 64 << 20

func (n *Node) serveCommand(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEnvelope))
	var env factumpb.CommandEnvelope
	if err == nil {
		err = proto.Unmarshal(b, &env)
	}
	if err != nil {
		http.Error(w, "cluster: a CommandEnvelope was expected: "+err.Error(), http.StatusBadRequest)
		return
	}
	c, deadline, err := wire.Command(&env)
	if err == nil && c.AggregateID == uuid.Nil {
		err = errors.New("aggregate_id: missing")
	}
	if err != nil {
		http.Error(w, "cluster: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	var rep actors.Reply
	p := journal.PartitionOf(c.AggregateID, n.own.Partitions())
	if !n.local(p, func() { rep, err = n.sys.DispatchLocal(ctx, c) }) {
		err = fmt.Errorf("cluster: node %s does not serve partition %d: %w", n.cfg.NodeID, p, wire.ErrMoved)
	}
	body, _ := proto.Marshal(wire.Reply(rep, err))
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(body)
}

func (n *Node) serveState(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "cluster: aggregate id: "+err.Error(), http.StatusBadRequest)
		return
	}
	version, _ := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
	typ := r.PathValue("type")
	var st actors.State
	p := journal.PartitionOf(id, n.own.Partitions())
	if !n.local(p, func() { st, err = n.sys.StateLocal(r.Context(), typ, id, version) }) {
		err = fmt.Errorf("cluster: node %s does not serve partition %d: %w", n.cfg.NodeID, p, wire.ErrMoved)
	}
	out := stateReply{State: &st}
	if err != nil {
		out = stateReply{Code: wire.ErrorCode(err), Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
