// Package redistest starts real redis-server processes for tests: a
// standalone server on a free port or a unix socket in its own temporary
// directory, with or without an append-only file, and a three-master Redis
// Cluster. Servers are stopped when the test ends.
//
// Tests that use it need redis-server and redis-cli on the PATH; when they
// are missing the helper fails the test with the command that installs them.
//
// # Caveats
//
// Free TCP ports are found by listening and closing, so another process can
// take a port between the check and the server's start; StartServer retries
// a few times when that happens. Cluster nodes also need port+10000 (the
// cluster bus), so they are picked from 20000-29999.
package redistest
