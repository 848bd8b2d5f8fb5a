package projections

import (
	"context"
	"fmt"

	"github.com/factum-dev/factum/actors"
)

// ProcessManager is a projection whose handlers send commands to
// aggregates (the seeds' process application): it follows a log and, for
// each event it reacts to, decides commands. Each command gets an id
// derived from (process manager name, partition, position, k) for the k-th
// command the handler sends for that notification, so a replay sends the
// same ids and the aggregates answer them as duplicates instead of applying
// them twice. The checkpoint moves only after the handler returned, that
// is after every command it sent was accepted (or its rejection handled).
//
// Each command is applied exactly once however long an outage lasts and
// however many other commands reach its aggregate meanwhile: a command
// carries the notification's time as its NotBefore, so an aggregate that
// no longer has its id in its de-duplication window (DedupWindow) looks
// for it in its own events since then (their causation ids) before it
// runs it again.
type ProcessManager struct {
	p   *Projection
	sys *actors.System
}

// NewProcessManager returns a process manager named name that sends its
// commands through sys. The options are a projection's.
func NewProcessManager(name string, sys *actors.System, opts ...ProjectionOption) *ProcessManager {
	pm := &ProcessManager{p: NewProjection(name, opts...), sys: sys}
	pm.p.pm = pm
	return pm
}

// Name returns the process manager's name.
func (pm *ProcessManager) Name() string { return pm.p.name }

// System returns the system the process manager sends commands through.
func (pm *ProcessManager) System() *actors.System { return pm.sys }

func (pm *ProcessManager) projection() *Projection { return pm.p }

// React adds the process manager's handler of events of type E. The
// handler sends its commands with out.Send, in a deterministic order (the
// k of each command id is its place in that order). An error it returns
// (for example a command whose outcome is unknown) makes the notification
// be handled again after a backoff, with the same command ids.
func React[E any](pm *ProcessManager, h func(ctx context.Context, e E, n Notification, out *Commands) error) {
	On(pm.p, func(ctx context.Context, e E, n Notification) error {
		out := &Commands{pm: pm, n: n}
		return h(ctx, e, n, out)
	})
}

// Commands sends the commands of one notification of a process manager.
type Commands struct {
	pm *ProcessManager
	n  Notification
	k  int
}

// CommandID returns the id of the k-th command of a process manager's
// notification at (partition, position).
func CommandID(processManager string, partition int, position uint64, k int) string {
	return fmt.Sprintf("%s/%d/%d/%d", processManager, partition, position, k)
}

// Send dispatches c with the next derived command id (c.CommandID is
// overwritten) and waits for its reply. A CorrelationID left empty is the
// notification's. A reply with Duplicate set means the command had been
// accepted before (a replay).
func (c *Commands) Send(ctx context.Context, cmd actors.Command) (actors.Reply, error) {
	cmd.CommandID = CommandID(c.pm.p.name, c.n.Partition, c.n.Position, c.k)
	c.k++
	if cmd.CorrelationID == "" {
		cmd.CorrelationID = c.n.Meta.CorrelationID
	}
	if cmd.NotBefore.IsZero() {
		cmd.NotBefore = c.n.Time
	}
	return c.pm.sys.Dispatch(ctx, cmd)
}

// System returns the system the commands go to, for queries (State, Get).
func (c *Commands) System() *actors.System { return c.pm.sys }
