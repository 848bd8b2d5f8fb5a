// Package httplog follows another node's notification log over HTTP: Log
// implements eventlog.Log on the node's GET /v1/log, which serves the log in
// sections as JSON (with the partition's head, and a long poll with
// ?wait=), so a Runner in another process can run projections and process
// managers on it.
//
//	remote, _ := httplog.New(ctx, httplog.Config{URL: "http://node:8080", Registry: reg})
//	r, _ := projections.NewRunner(projections.RunnerConfig{Logs: map[string]eventlog.Log{"": remote}, Registry: reg})
//
// # Caveats
//
//   - Events come as the node's JSON rendering of the decoded event at the
//     node's current schema version, and are decoded with the local
//     registry's codec: this works for JSON-encoded (plain struct) event
//     types registered under the same names; protobuf-encoded ones are not
//     supported over this log.
//   - Record headers (compression, encryption, hash chain) are not carried:
//     the node has already undone them.
//   - Wait is a long poll of at most WaitTimeout per request; Stop of a
//     runner on a remote log may take up to that long.
package httplog
