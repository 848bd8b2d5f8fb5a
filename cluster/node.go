package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/factum-dev/factum/actors"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// Partitions is what runs per partition besides the aggregates'
// actors: the server's projection and process-manager workers. The node
// calls Own after it acquired a partition, and Disown before it releases
// one (a handover: the workers stop and save their checkpoints) or after
// it lost one (the workers stop at once).
type Partitions interface {
	Own(p int)
	// Disown stops p's workers: after saving their checkpoints in a
	// handover, at once (saving nothing) when lost is true.
	Disown(ctx context.Context, p int, lost bool)
}

// Config configures a Node.
type Config struct {
	// NodeID names the node in the membership table and in its leases
	// (no '/' or spaces). Required.
	NodeID string
	// Advertise is the host:port where peers reach this node's HTTP API.
	// Required.
	Advertise string
	// Journal is the node's Redis journal, made with Ownership as its
	// Fence: the leases live beside the partitions they fence. Required.
	Journal *jredis.Journal
	// Client is the Redis the membership table lives in (the journal's).
	// Required; the node does not close it.
	Client goredis.UniversalClient
	// KeyPrefix starts the membership keys (default "factum:").
	KeyPrefix string
	// System is the node's actor system; the node becomes its router.
	// Required.
	System *actors.System
	// Ownership is what the node holds, made with NewOwnership(NodeID, P)
	// and given to the journal (Fence) and the system (Stamp). Required.
	Ownership *Ownership
	// Partitions, when set, runs the projection workers of the owned
	// partitions.
	Partitions Partitions

	// LeaseTTL is how long a lease lasts without renewal (default 3s);
	// RenewEvery how often the node renews its leases (default 1s).
	LeaseTTL   time.Duration
	RenewEvery time.Duration
	// HeartbeatEvery (default 1s) and DeadAfter (default 3s): a node whose
	// last heartbeat is older than DeadAfter is dead.
	HeartbeatEvery time.Duration
	DeadAfter      time.Duration
	// Tick is how often the node looks at the membership and the leases
	// (default 200ms): a released partition is taken within about a tick.
	Tick time.Duration
	// RouteTimeout bounds the routing of a command or query whose context
	// has no deadline (default 10s).
	RouteTimeout time.Duration
	// DrainTimeout bounds the wait for a partition's commands in flight
	// in a handover (default 5s).
	DrainTimeout time.Duration
	// ForwardTimeout bounds one forward to an owner (default 1s): a
	// paused or cut-off owner does not hold a command until its deadline;
	// it is sent again (same command id) to the owner the view then names.
	ForwardTimeout time.Duration
	// Logger receives the node's logs (nil: the system's).
	Logger *slog.Logger
	// Observer, when set, is told of the node's leases, handovers and
	// forwards (for metrics).
	Observer Observer
	// OnEvict, when set, is called with the aggregate id of each Evict,
	// this node's or a peer's, before the live actor is stopped (the
	// server drops the subject's cached data key).
	OnEvict func(id uuid.UUID)
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "factum:"
	}
	def(&c.LeaseTTL, 3*time.Second)
	def(&c.RenewEvery, time.Second)
	def(&c.HeartbeatEvery, time.Second)
	def(&c.DeadAfter, 3*time.Second)
	def(&c.Tick, 200*time.Millisecond)
	def(&c.RouteTimeout, 10*time.Second)
	def(&c.DrainTimeout, 5*time.Second)
	def(&c.ForwardTimeout, time.Second)
	if c.Logger == nil && c.System != nil {
		c.Logger = c.System.Logger()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first setting that is wrong, naming it.
func (c *Config) Validate() error {
	c.setDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cluster: "+format+": %w", append(args, ErrConfig)...)
	}
	switch {
	case c.NodeID == "" || strings.ContainsAny(c.NodeID, "/ "):
		return bad("NodeID %q: want a name without '/' or spaces", c.NodeID)
	case c.Advertise == "":
		return bad("Advertise is empty: want the host:port peers reach this node at")
	case c.Journal == nil || c.Client == nil || c.System == nil || c.Ownership == nil:
		return bad("Journal, Client, System and Ownership are all required")
	case c.Ownership.Node() != c.NodeID:
		return bad("Ownership is node %q's, not %q's", c.Ownership.Node(), c.NodeID)
	case c.Ownership.Partitions() != c.Journal.Partitions():
		return bad("Ownership has %d partitions, the journal %d", c.Ownership.Partitions(), c.Journal.Partitions())
	case c.RenewEvery >= c.LeaseTTL:
		return bad("RenewEvery = %v, want less than LeaseTTL = %v", c.RenewEvery, c.LeaseTTL)
	case c.HeartbeatEvery >= c.DeadAfter:
		return bad("HeartbeatEvery = %v, want less than DeadAfter = %v", c.HeartbeatEvery, c.DeadAfter)
	}
	return nil
}

// Node is one node of a cluster: it owns the partitions rendezvous
// hashing gives it among the live members, under leases it renews, serves
// their commands, and forwards the others to their owners.
type Node struct {
	cfg  Config
	log  *slog.Logger
	own  *Ownership
	j    *jredis.Journal
	mem  *Membership
	sys  *actors.System
	http *http.Client

	view    atomic.Pointer[View]
	refresh chan struct{}

	// validUntil[p] is when the node stops serving p unless it renewed
	// the lease (the loop's only).
	validUntil []time.Time
	// owned is the number of partitions last told to the Observer (the
	// loop's only, then Close's).
	owned int

	stop      chan struct{}
	wg        sync.WaitGroup // the loop
	work      sync.WaitGroup // handovers and drops
	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// View is what a node last read of the cluster: the live members and
// each partition's lease.
type View struct {
	Members []Member       `json:"members"`
	Leases  []jredis.Lease `json:"-"`
	// Read is when the view was read (this node's clock).
	Read  time.Time `json:"read"`
	addrs map[string]string
}

// NewNode returns a node; Start joins the cluster.
func NewNode(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	P := cfg.Journal.Partitions()
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), own: cfg.Ownership, j: cfg.Journal, sys: cfg.System,
		mem:     NewMembership(cfg.Client, cfg.KeyPrefix, cfg.DeadAfter),
		refresh: make(chan struct{}, 1), validUntil: make([]time.Time, P), stop: make(chan struct{}),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute,
			DisableCompression: true}}}
	n.view.Store(&View{Leases: make([]jredis.Lease, P), addrs: map[string]string{}})
	return n, nil
}

// Start joins the cluster (a first heartbeat), makes the node the
// system's router and starts the node's loop.
func (n *Node) Start(ctx context.Context) error {
	var err error
	n.startOnce.Do(func() {
		if err = n.mem.Heartbeat(ctx, n.cfg.NodeID, n.cfg.Advertise); err != nil {
			return
		}
		n.sys.SetRouter(n)
		n.wg.Add(1)
		go n.loop()
	})
	return err
}

// ID is the node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// View returns what the node last read of the cluster.
func (n *Node) View() *View { return n.view.Load() }

func (n *Node) loop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Tick)
	defer t.Stop()
	var nextBeat, nextRenew time.Time
	lastRead := time.Time{}
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			now := time.Now()
			if !now.Before(nextBeat) {
				n.heartbeat()
				nextBeat = now.Add(n.cfg.HeartbeatEvery)
			}
			if !now.Before(nextRenew) {
				n.renew()
				nextRenew = now.Add(n.cfg.RenewEvery)
			}
			n.expire()
			if v := n.readView(); v != nil {
				lastRead = v.Read
				n.place(v)
			}
			n.observeOwned()
		case <-n.refresh:
			if time.Since(lastRead) > 20*time.Millisecond {
				if v := n.readView(); v != nil {
					lastRead = v.Read
				}
			}
		}
	}
}

// opContext bounds one Redis operation of the loop.
func (n *Node) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), n.cfg.RenewEvery)
}

func (n *Node) heartbeat() {
	ctx, cancel := n.opContext()
	defer cancel()
	if err := n.mem.Heartbeat(ctx, n.cfg.NodeID, n.cfg.Advertise); err != nil {
		n.log.Warn("cluster heartbeat failed", "err", err)
	}
}

// readView reads the members and the leases, and publishes them.
func (n *Node) readView() *View {
	ctx, cancel := n.opContext()
	defer cancel()
	members, err := n.mem.Live(ctx)
	if err != nil {
		n.log.Warn("cluster: reading the members failed", "err", err)
		return nil
	}
	leases, err := n.j.Leases(ctx)
	if err != nil {
		n.log.Warn("cluster: reading the leases failed", "err", err)
		return nil
	}
	v := &View{Members: members, Leases: leases, Read: time.Now(), addrs: make(map[string]string, len(members))}
	for _, m := range members {
		v.addrs[m.ID] = m.Addr
	}
	n.view.Store(v)
	return v
}

// renew renews every lease held; a lease found lost is dropped at once.
func (n *Node) renew() {
	var ls []jredis.Lease
	for p := range n.own.parts {
		if l, ok := n.own.lease(p); ok && !n.own.parts[p].busy.Load() {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return
	}
	sent := time.Now()
	ctx, cancel := n.opContext()
	errs := n.j.RenewAll(ctx, ls, n.cfg.LeaseTTL)
	cancel()
	renewed, failed := 0, 0
	for i, l := range ls {
		switch {
		case errs[i] == nil:
			n.validUntil[l.Partition] = n.deadline(sent)
			renewed++
		case errors.Is(errs[i], jredis.ErrLeaseLost):
			n.drop(l.Partition, LeaseTaken)
		default:
			n.log.Warn("cluster: renewing a lease failed", "partition", l.Partition, "err", errs[i])
			failed++
		}
	}
	if n.cfg.Observer != nil {
		n.cfg.Observer.LeasesRenewed(renewed, failed)
	}
}

// deadline is when a lease acquired or renewed by a request sent at sent
// must stop being used: Redis counts its TTL from later than sent, and a
// margin covers clock rates.
func (n *Node) deadline(sent time.Time) time.Time {
	return sent.Add(n.cfg.LeaseTTL - n.cfg.LeaseTTL/6)
}

// expire drops the partitions whose lease was not renewed in time.
func (n *Node) expire() {
	now := time.Now()
	for p := range n.own.parts {
		if _, ok := n.own.lease(p); ok && !n.own.parts[p].busy.Load() && now.After(n.validUntil[p]) {
			n.drop(p, LeaseNotRenewed)
		}
	}
}

// place hands over the partitions another live member should own, and
// acquires the free ones this node should.
func (n *Node) place(v *View) {
	ids := make([]string, 0, len(v.Members))
	self := false
	for _, m := range v.Members {
		ids = append(ids, m.ID)
		self = self || m.ID == n.cfg.NodeID
	}
	if !self {
		return // not (yet, or any more) a live member: take nothing
	}
	for p := range n.own.parts {
		ps := &n.own.parts[p]
		if ps.busy.Load() {
			continue
		}
		want := Owner(p, ids)
		_, held := n.own.lease(p)
		switch {
		case held && want != n.cfg.NodeID:
			n.handover(p, want)
		case !held && want == n.cfg.NodeID && v.Leases[p].Token == "":
			n.acquire(p)
		}
	}
}

func (n *Node) acquire(p int) {
	sent := time.Now()
	ctx, cancel := n.opContext()
	l, err := n.j.Acquire(ctx, p, n.cfg.NodeID, n.cfg.LeaseTTL)
	cancel()
	if err != nil {
		if !errors.Is(err, jredis.ErrLeaseHeld) {
			n.log.Warn("cluster: acquiring a lease failed", "partition", p, "err", err)
		}
		return
	}
	n.validUntil[p] = n.deadline(sent)
	n.own.hold(l)
	n.own.parts[p].serving.Store(true)
	n.log.Info("partition acquired", "partition", p, "epoch", l.Epoch)
	if n.cfg.Observer != nil {
		n.cfg.Observer.LeaseAcquired()
	}
	if n.cfg.Partitions != nil {
		n.cfg.Partitions.Own(p)
	}
}

// drop stops serving p at once (its lease is lost or about to be): its
// appends are refused from now on, its actors stop after what their
// mailboxes hold (which the journal refuses), its workers stop.
func (n *Node) drop(p int, why LossReason) {
	ps := &n.own.parts[p]
	ps.busy.Store(true)
	n.own.unhold(p)
	ps.serving.Store(false)
	n.sys.StopActors(n.inPartition(p))
	n.log.Warn("partition dropped", "partition", p, "why", why.String())
	if n.cfg.Observer != nil {
		n.cfg.Observer.LeaseLost(why)
	}
	n.work.Add(1)
	go func() {
		defer n.work.Done()
		defer ps.busy.Store(false)
		if n.cfg.Partitions != nil {
			ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DrainTimeout)
			n.cfg.Partitions.Disown(ctx, p, true)
			cancel()
		}
	}()
}

// handover gives p up in order: no new commands, the ones in flight
// finish, the actors stop, their queued snapshots are written, the
// workers stop and save their checkpoints, then the lease is released so that the new owner takes it at once.
func (n *Node) handover(p int, to string) {
	ps := &n.own.parts[p]
	ps.busy.Store(true)
	ps.serving.Store(false)
	n.work.Add(1)
	go func() {
		defer n.work.Done()
		defer ps.busy.Store(false)
		n.release(p, to)
	}()
}

func (n *Node) release(p int, to string) {
	ps := &n.own.parts[p]
	start := time.Now()
	drained := make(chan struct{})
	go func() { ps.mu.Lock(); ps.mu.Unlock(); close(drained) }() //nolint:staticcheck // waits for the readers
	select {
	case <-drained:
	case <-time.After(n.cfg.DrainTimeout):
		n.log.Warn("cluster: commands still in flight at handover; their appends are fenced", "partition", p)
	}
	n.sys.StopActors(n.inPartition(p))
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DrainTimeout)
	defer cancel()
	// The snapshots the drained commands queued are written before the
	// new owner may load the partition's aggregates.
	if err := n.sys.FlushSnapshots(ctx, n.inPartition(p)); err != nil {
		n.log.Warn("cluster: queued snapshots not written at handover; the new owner replays more events", "partition", p, "err", err)
	}
	if n.cfg.Partitions != nil {
		n.cfg.Partitions.Disown(ctx, p, false)
	}
	l, ok := n.own.lease(p)
	n.own.unhold(p)
	if ok {
		if err := n.j.Release(ctx, l); err != nil {
			n.log.Warn("cluster: releasing a lease failed; it expires by itself", "partition", p, "err", err)
		}
	}
	took := time.Since(start)
	n.log.Info("partition handed over", "partition", p, "to", to, "took", took)
	if n.cfg.Observer != nil {
		n.cfg.Observer.HandedOver(took)
	}
}

// observeOwned tells the Observer the number of partitions served when
// it changed.
func (n *Node) observeOwned() {
	if n.cfg.Observer == nil {
		return
	}
	owned := 0
	for p := range n.own.parts {
		if n.own.parts[p].serving.Load() {
			owned++
		}
	}
	if owned != n.owned {
		n.owned = owned
		n.cfg.Observer.Owned(owned)
	}
}

func (n *Node) inPartition(p int) func(uuid.UUID) bool {
	P := n.own.Partitions()
	return func(id uuid.UUID) bool { return journal.PartitionOf(id, P) == p }
}

// Close leaves the cluster: the node stops its loop, leaves the
// membership table (the others place the partitions without it), and
// hands every partition over in order. It is safe to call twice.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.stop)
		n.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DrainTimeout)
		defer cancel()
		n.closeErr = n.mem.Leave(ctx, n.cfg.NodeID)
		n.work.Wait()
		for p := range n.own.parts {
			if _, ok := n.own.lease(p); ok {
				n.handover(p, "")
			}
		}
		n.work.Wait()
		n.observeOwned()
		n.sys.SetRouter(nil)
		n.http.CloseIdleConnections()
	})
	return n.closeErr
}

// Ready says whether the node takes part in the cluster: it read the
// membership table lately and found itself in it. A node that cannot
// reach Redis, or that the others count dead, is not ready.
func (n *Node) Ready() error {
	v := n.view.Load()
	if age := time.Since(v.Read); v.Read.IsZero() || age > n.cfg.DeadAfter {
		return fmt.Errorf("cluster: node %s has not read the membership table for %v: %w", n.cfg.NodeID, age.Round(time.Millisecond), ErrNotMember)
	}
	for _, m := range v.Members {
		if m.ID == n.cfg.NodeID {
			return nil
		}
	}
	return fmt.Errorf("cluster: node %s is not among the live members: %w", n.cfg.NodeID, ErrNotMember)
}
