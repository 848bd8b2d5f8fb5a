// Package ui is the event browser: a small web page embedded in the
// binary (no external assets) that a node serves at /ui/. It shows the
// aggregate types and their commands, an aggregate's state and event
// history, the live tail of the notification log, the projections with
// their lag and, in a cluster, the members and partition owners. It reads
// everything from the node's HTTP API.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the page and its assets; mount it under a prefix with
// http.StripPrefix.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return http.FileServerFS(sub)
}
