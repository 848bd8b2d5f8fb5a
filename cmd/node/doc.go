// Command node is the factum server.
//
//	node run     start a node: the example aggregates (dogschool, bank)
//	             behind an HTTP/JSON API, on the in-memory journal or Redis
//	node bench   benchmark concurrent aggregates on a journal
//
// Every flag can also be set with a FACTUM_* environment variable (the
// flag's name in upper case, dashes as underscores: --redis is
// FACTUM_REDIS_URL, --addr is FACTUM_ADDR); a flag given on the command
// line wins. Run `node run -h` or `node bench -h` for the flags.
package main
