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
// start on. A limit over the log's maximum is ErrLimit.
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
