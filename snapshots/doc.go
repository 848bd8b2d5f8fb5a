// Package snapshots keeps snapshots of aggregate state, so that an
// aggregate with a long history is rebuilt from its latest snapshot and the
// events after it instead of from all its events.
//
// Store is the port; backends live in sub-packages (snapshots/memory,
// snapshots/redis) and all pass snapshots/snapshottest. Policy decides when
// a snapshot is due.
package snapshots
