// Package eventlog is the notification log as projections and other
// systems see it: the Log port (Partitions, Select, Head, Wait, Decode)
// that a projection runner follows, Local (the log of an event store's own
// journal), NotificationLog (the seeds' notification log with its select
// limit: SelectEvents gives decoded domain events, what an application
// reads; Select gives the stored records, bytes as stored, for copying
// the log), and Page, the one wire type of a page of the log that a node
// serves (GET /v1/log) and the HTTP client (eventlog/httplog) reads.
//
// Layers: eventlog sits on journal and domain; app and projections use it.
//
// # Caveats
//
//   - A Page carries each event decoded to JSON, so a remote log serves
//     JSON event types only.
package eventlog
