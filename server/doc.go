// Package server is factum as a server that hosts a team's own aggregate
// types: the HTTP/JSON API (commands, state, the notification log,
// projections' status, admin), the mapping of errors to HTTP statuses and
// wire codes, the wiring of stores from a Config (in memory, or Redis by
// URL, with the storage pipeline of compression, encryption and hash
// chaining), the flags and FACTUM_* variables of a server binary, the
// projections and process managers it runs, and a graceful shutdown.
//
//	s, err := server.New(ctx, server.Config{RedisURL: "redis://127.0.0.1:6379/0"})
//	shop.RegisterEvents(s.Registry())
//	s.Host(shop.Type())              // served at /v1/shop.Cart/{id}/{command}
//	s.Run(shop.SalesProjection(rm))  // projections and process managers
//	err = s.Serve(ctx, nil)          // until ctx ends
//
// Layers: server sits on everything below it (projections, actors, app,
// eventlog, journal, snapshots, storage) and on wire for the error codes;
// cmd/node and a user's own binary (examples/cart) sit on it.
//
// An {id} in a URL is a UUID or a name; a name stands for the name-based
// UUID of that name within the aggregate type (domain.AggregateID), so
// /v1/bank.Account/alice@example.com is always one account.
//
// # Caveats
//
//   - Host and Run take effect before Start (Serve starts): an aggregate
//     type or projection cannot be added to a running server.
//   - A projection without a Checkpoints option keeps its checkpoints in
//     the server's checkpoint store: in memory without Redis, so it
//     rebuilds from the start of the log after a restart.
//   - The admin endpoints (verify, shred) are unauthenticated: serve them
//     only where the network is trusted.
package server
