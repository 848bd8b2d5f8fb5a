// Package wire is factum's wire format above the actor runtime: the error
// codes of the HTTP API and of CommandReply.error_code, and the mapping of
// errors to codes and back, so that a caller on another node (or over
// HTTP) tells the same failures apart with errors.Is as a caller in
// process.
//
// It sits between the actor runtime (which knows no interface) and the
// server and cluster packages that speak to the outside.
package wire
