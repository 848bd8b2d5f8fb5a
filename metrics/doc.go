// Package metrics holds factum's Prometheus metrics, as hooks and
// decorators around the ports rather than calls spread through the
// command path: an actors.Observer for commands, activations,
// passivations and snapshots; a journal.Journal decorator for appends; a
// collector that reads the actor system's live aggregates and the
// projections' status when scraped; the build info; and, in a cluster, a
// cluster.Observer for a node's leases, handovers and forwards.
//
// Everything is registered with the prometheus.Registerer given to New:
// no global registry is used. No metric has an aggregate id as a label;
// the labels are aggregate types, command names, results (the wire error
// codes, or "ok"), projection names and partitions.
package metrics
