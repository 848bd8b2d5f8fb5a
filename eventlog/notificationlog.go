package eventlog

import (
	"context"
	"fmt"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/journal"
)

// NotificationLog is the application's log of all events in the order they
// were saved: the way to propagate its state to other systems. With one
// partition (the default) its ids (positions) run 1, 2, 3, ... over all
// aggregates.
type NotificationLog struct {
	events *journal.EventStore
	max    int
}

// NewNotificationLog returns the notification log of events' journal,
// whose selects take at most max notifications.
func NewNotificationLog(events *journal.EventStore, max int) *NotificationLog {
	return &NotificationLog{events: events, max: max}
}

// Partitions returns the number of partitions of the log.
func (l *NotificationLog) Partitions() int { return l.events.Journal().Partitions() }

// Select returns up to limit notifications of partition 0 from position
// start on, as stored: their payloads are the stored bytes (compressed or
// encrypted when the storage pipeline is on), for copying or forwarding
// the log as it is. To read the events, use SelectEvents. A limit over
// the log's maximum is ErrLimit.
func (l *NotificationLog) Select(ctx context.Context, start uint64, limit int) ([]journal.Notification, error) {
	return l.SelectPartition(ctx, 0, start, limit)
}

// SelectPartition is Select on one partition of a partitioned log.
func (l *NotificationLog) SelectPartition(ctx context.Context, partition int, start uint64, limit int) ([]journal.Notification, error) {
	if limit < 1 || limit > l.max {
		return nil, fmt.Errorf("eventlog: notification log select: limit %d is not between 1 and the maximum %d: %w", limit, l.max, ErrLimit)
	}
	if start < 1 {
		return nil, fmt.Errorf("eventlog: notification log select: start %d: positions start at 1: %w", start, ErrLimit)
	}
	return l.events.Journal().Select(ctx, partition, start, limit)
}

// Decode returns the domain event a notification carries.
func (l *NotificationLog) Decode(ctx context.Context, n journal.Notification) (domain.Envelope, error) {
	return l.events.Decode(ctx, n.Record)
}

// Event is a notification decoded: its place in the log and its domain
// event.
type Event struct {
	Partition int
	// Position is the event's place in its partition: 1, 2, 3, ...
	Position uint64
	domain.Envelope
}

// SelectEvents returns up to limit events of partition 0 from position
// start on, decoded (decrypted, decompressed and upcast to the current
// schema): the seeds' notification_log.select, what an application that
// reads the log wants. An event that cannot be decoded (a shredded
// subject's, say) is an error that names its position.
func (l *NotificationLog) SelectEvents(ctx context.Context, start uint64, limit int) ([]Event, error) {
	return l.SelectPartitionEvents(ctx, 0, start, limit)
}

// SelectPartitionEvents is SelectEvents on one partition.
func (l *NotificationLog) SelectPartitionEvents(ctx context.Context, partition int, start uint64, limit int) ([]Event, error) {
	ns, err := l.SelectPartition(ctx, partition, start, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(ns))
	for i := range ns {
		e, err := l.events.Decode(ctx, ns[i].Record)
		if err != nil {
			return nil, fmt.Errorf("eventlog: partition %d position %d: %w", ns[i].Partition, ns[i].Position, err)
		}
		out[i] = Event{Partition: ns[i].Partition, Position: ns[i].Position, Envelope: e}
	}
	return out, nil
}
