// Package actors is factum's application layer.
//
// Application saves aggregates to the journal, Repository gets them back
// (at their latest version or as they were at an earlier one, from the
// latest snapshot and the events after it), and NotificationLog serves all
// events in the order they were saved. Aggregates are snapshotted every N
// events per type.
//
// The persistent aggregate actors on protoactor-go (one actor per
// aggregate, commands serialised through its mailbox), the notification
// actor and the projection actors build on this layer.
package actors
