package domain

import (
	"time"

	"github.com/google/uuid"
)

// Envelope is one event of one aggregate with what is known about it: whose
// it is, its place in the aggregate's history, when it happened, and why.
type Envelope struct {
	// AggregateID is the id of the aggregate that raised the event.
	AggregateID uuid.UUID
	// Version is the aggregate's version after the event: 1 for the first.
	Version uint64
	// Time is when the event was raised, from the aggregate's clock.
	Time time.Time
	// Type is the event's registered type name. Raise leaves it empty; it is
	// filled when the event is encoded or decoded.
	Type string
	// Data is the event itself: a registered struct or proto message.
	Data any
	// Meta says why the event happened.
	Meta Metadata
}

// Metadata is what an event records about its cause.
type Metadata struct {
	// CorrelationID ties together everything done for one request.
	CorrelationID string
	// CausationID is the id of the command (or event) that caused this event.
	CausationID string
	// Extra holds the application's own keys.
	Extra map[string]string
}

// IsZero reports whether m carries nothing.
func (m Metadata) IsZero() bool {
	return m.CorrelationID == "" && m.CausationID == "" && len(m.Extra) == 0
}
