package eventlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// Page is a page of one partition of the notification log as it goes over
// the wire (the body of a node's GET /v1/log): the one type that the
// server writes and the HTTP log client reads.
type Page struct {
	Partition int `json:"partition"`
	// Partitions is the number of partitions of the log.
	Partitions int `json:"partitions"`
	// Head is the partition's last position.
	Head          uint64      `json:"head"`
	Notifications []PageEntry `json:"notifications"`
	// Next is the start of the next page.
	Next uint64 `json:"next"`
}

// PageEntry is one notification of a Page, its event decoded to JSON.
type PageEntry struct {
	Partition   int       `json:"partition"`
	Position    uint64    `json:"position"`
	AggregateID uuid.UUID `json:"aggregate_id"`
	Version     uint64    `json:"version"`
	Type        string    `json:"type"`
	// SchemaVersion is the version of the type that Data is at (after
	// upcasting).
	SchemaVersion uint32            `json:"schema_version"`
	Time          time.Time         `json:"time"`
	Data          json.RawMessage   `json:"data"`
	CorrelationID string            `json:"correlation_id,omitempty"`
	CausationID   string            `json:"causation_id,omitempty"`
	Extra         map[string]string `json:"extra,omitempty"`
	// Unreadable marks a notification whose event cannot be read:
	// "shredded" (its subject was crypto-shredded) or "corrupt" (it does
	// not decrypt or decode). Its place, aggregate, version and type are
	// kept; Data is absent and Error says why.
	Unreadable string `json:"unreadable,omitempty"`
	Error      string `json:"error,omitempty"`
}

// The marks of an unreadable notification (PageEntry.Unreadable).
const (
	MarkShredded = "shredded"
	MarkCorrupt  = "corrupt"
)

// HeaderUnreadable is the header that a notification read from a page
// carries when the page marked it unreadable; Decode of such a record
// returns journal.ErrShredded or journal.ErrCorrupt.
const HeaderUnreadable = "factum-unreadable"

// Mark returns the mark of an error that makes a notification
// unreadable ("" for any other error).
func Mark(err error) string {
	switch {
	case errors.Is(err, journal.ErrShredded):
		return MarkShredded
	case errors.Is(err, journal.ErrCorrupt):
		return MarkCorrupt
	default:
		return ""
	}
}

// Unreadable returns the error a record marked unreadable stands for,
// or nil for a record with no mark.
func Unreadable(r journal.Record) error {
	m := r.Headers[HeaderUnreadable]
	if m == "" {
		return nil
	}
	msg := r.Headers[HeaderUnreadable+"-error"]
	sentinel := journal.ErrCorrupt
	if m == MarkShredded {
		sentinel = journal.ErrShredded
	}
	return fmt.Errorf("eventlog: aggregate %s version %d (%s) is %s: %s: %w", r.AggregateID, r.Version, r.Type, m, msg, sentinel)
}

// Notification returns the entry as a journal notification whose record
// carries the JSON data.
// An entry marked unreadable carries its mark in HeaderUnreadable.
func (e PageEntry) Notification() journal.Notification {
	n := journal.Notification{Partition: e.Partition, Position: e.Position, Record: journal.Record{
		AggregateID: e.AggregateID, Version: e.Version, Type: e.Type, SchemaVersion: e.SchemaVersion,
		Time: e.Time, Data: e.Data,
		Meta: domain.Metadata{CorrelationID: e.CorrelationID, CausationID: e.CausationID, Extra: e.Extra},
	}}
	if e.Unreadable != "" {
		n.Headers = map[string]string{HeaderUnreadable: e.Unreadable, HeaderUnreadable + "-error": e.Error}
	}
	return n
}
