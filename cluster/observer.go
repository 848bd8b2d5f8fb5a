package cluster

import (
	"errors"
	"time"

	"github.com/factum-dev/factum/journal"
)

// Observer watches a Node's leases, handovers and forwards, for metrics:
// it is given in Config.Observer (nil: nothing is watched, at no cost).
// Its methods must be quick and safe for concurrent use.
type Observer interface {
	// Owned is told the number of partitions the node serves whenever it
	// changes (and 0 when the node has closed).
	Owned(partitions int)
	// LeaseAcquired is told of each lease the node acquired.
	LeaseAcquired()
	// LeasesRenewed is told, after each renewal round, how many leases
	// were renewed and how many renewals failed (Redis did not answer in
	// time; the lease is kept until it is not renewed in time). A renewal
	// that found the lease taken is a LeaseLost(LeaseTaken).
	LeasesRenewed(renewed, failed int)
	// LeaseLost is told of each partition the node stopped serving
	// without a handover, and why.
	LeaseLost(why LossReason)
	// HandedOver is told of each partition handed over in order, with how
	// long the handover took (draining, stopping the actors and workers,
	// releasing the lease).
	HandedOver(d time.Duration)
	// Forwarded is told of each command or query sent to another node,
	// with its outcome and how long it took. A routing attempt that found
	// no owner to send to is not a forward.
	Forwarded(kind ForwardKind, outcome ForwardOutcome, d time.Duration)
}

// LossReason is why a node stopped serving a partition without a
// handover.
type LossReason int

const (
	// LeaseTaken: a renewal found the lease held by another node (or
	// gone).
	LeaseTaken LossReason = iota
	// LeaseNotRenewed: the lease was not renewed in time (5/6 of its TTL
	// after the last renewal was sent), so the node stopped using it.
	LeaseNotRenewed
)

func (r LossReason) String() string {
	if r == LeaseTaken {
		return "lease lost"
	}
	return "lease not renewed in time"
}

// ForwardKind is what was forwarded: a command or a query (State).
type ForwardKind int

// The kinds of forward.
const (
	ForwardCommand ForwardKind = iota // a command (CommandPath)
	ForwardQuery                      // a query of an aggregate's state (StatePath)
)

// ForwardOutcome is how a forward ended.
type ForwardOutcome int

const (
	// ForwardOK: the owner answered (whatever the command's own result).
	ForwardOK ForwardOutcome = iota
	// ForwardMoved: the node asked did not run it (it no longer owns the
	// partition, its append was fenced, or it is closing); it is sent
	// again to a fresher owner.
	ForwardMoved
	// ForwardTransportError: the owner could not be reached, and the
	// request did not arrive.
	ForwardTransportError
	// ForwardOutcomeUnknown: the request may have arrived but no answer
	// came back; it is sent again with the same command id.
	ForwardOutcomeUnknown
)

// observeForward tells o of a forward of kind that started at start and
// ended with *err.
func observeForward(o Observer, kind ForwardKind, start time.Time, err *error) {
	o.Forwarded(kind, forwardOutcome(*err), time.Since(start))
}

func forwardOutcome(err error) ForwardOutcome {
	switch {
	case err == nil:
		return ForwardOK
	case errors.Is(err, errTransport) && errors.Is(err, journal.ErrOutcomeUnknown):
		return ForwardOutcomeUnknown
	case errors.Is(err, errTransport):
		return ForwardTransportError
	case retryable(err):
		return ForwardMoved
	default:
		return ForwardOK
	}
}
