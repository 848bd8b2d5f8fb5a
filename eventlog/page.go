package eventlog

import (
	"encoding/json"
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
}

// Notification returns the entry as a journal notification whose record
// carries the JSON data.
func (e PageEntry) Notification() journal.Notification {
	return journal.Notification{Partition: e.Partition, Position: e.Position, Record: journal.Record{
		AggregateID: e.AggregateID, Version: e.Version, Type: e.Type, SchemaVersion: e.SchemaVersion,
		Time: e.Time, Data: e.Data,
		Meta: domain.Metadata{CorrelationID: e.CorrelationID, CausationID: e.CausationID, Extra: e.Extra},
	}}
}
