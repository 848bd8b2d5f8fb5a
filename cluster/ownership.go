package cluster

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
	jredis "github.com/factum-dev/factum/journal/redis"
)

// Metadata keys every event written in a cluster carries in Extra: the
// node that wrote it and the epoch of the lease it wrote under.
const (
	MetaWriterNode  = "factum.writer.node"
	MetaWriterEpoch = "factum.writer.epoch"
)

// Ownership is what a node holds: the lease of each partition it owns and
// whether it serves the partition's commands. It is the journal's Fence
// (the token of the lease an append is sent under) and the actor system's
// Stamp (the writer recorded in each event), so it is made before both,
// and the Node keeps it up to date.
type Ownership struct {
	node  string
	parts []partState
}

type partState struct {
	held atomic.Pointer[heldLease] // nil: not held
	// serving says the node takes the partition's commands. Commands
	// served here hold mu for reading; a handover takes it for writing to
	// wait for them.
	serving atomic.Bool
	mu      sync.RWMutex
	busy    atomic.Bool // a handover or a drop is under way
}

type heldLease struct {
	lease jredis.Lease
	epoch string
}

// NewOwnership returns the ownership of node over a log of partitions
// partitions, holding nothing.
func NewOwnership(node string, partitions int) *Ownership {
	return &Ownership{node: node, parts: make([]partState, partitions)}
}

// Partitions is P.
func (o *Ownership) Partitions() int { return len(o.parts) }

// Node is the node's id.
func (o *Ownership) Node() string { return o.node }

// Token implements journal/redis.Fence.
func (o *Ownership) Token(p int) string {
	if p < 0 || p >= len(o.parts) {
		return ""
	}
	if h := o.parts[p].held.Load(); h != nil {
		return h.lease.Token
	}
	return ""
}

// Stamp records the writer (this node and its lease's epoch) in an
// event's metadata; it is the actor system's SystemConfig.Stamp.
func (o *Ownership) Stamp(id uuid.UUID, m *domain.Metadata) {
	h := o.parts[journal.PartitionOf(id, len(o.parts))].held.Load()
	epoch := "none"
	if h != nil {
		epoch = h.epoch
	}
	extra := make(map[string]string, len(m.Extra)+2)
	maps.Copy(extra, m.Extra)
	extra[MetaWriterNode] = o.node
	extra[MetaWriterEpoch] = epoch
	m.Extra = extra
}

// Owned returns the partitions the node holds and serves.
func (o *Ownership) Owned() []int {
	var out []int
	for p := range o.parts {
		if o.parts[p].serving.Load() {
			out = append(out, p)
		}
	}
	return out
}

func (o *Ownership) lease(p int) (jredis.Lease, bool) {
	if h := o.parts[p].held.Load(); h != nil {
		return h.lease, true
	}
	return jredis.Lease{}, false
}

func (o *Ownership) hold(l jredis.Lease) {
	o.parts[l.Partition].held.Store(&heldLease{lease: l, epoch: strconv.FormatUint(l.Epoch, 10)})
}

func (o *Ownership) unhold(p int) { o.parts[p].held.Store(nil) }
