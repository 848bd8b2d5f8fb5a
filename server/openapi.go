package server

import (
	"net/http"
	"strings"
)

// The OpenAPI 3 document of the HTTP API, served at /v1/openapi.json.
//
// To add a route: register it on the mux (api.routes, or Server.HandleFunc
// for a server of your own) and add an operation for it to apiOperations
// below, with its pattern exactly as registered. TestOpenAPI fails for a
// route that is registered and not documented, and for a documented
// route that does not answer. The document a server serves holds the
// operations of the routes it has registered (GET /v1/cluster only in a
// cluster, say).

// operation documents one route.
type operation struct {
	pattern string // as registered: "GET /v1/{type}/{id}"
	id      string
	summary string
	tag     string
	params  []param
	body    string // the request body's description ("" for none)
	admin   bool   // needs the admin token
	// ok is the description of the success answer; its content type is
	// JSON unless text says otherwise.
	ok   string
	text string
}

type param struct {
	name, in, desc, typ, example string
	required                     bool
}

var (
	pType    = param{name: "type", in: "path", desc: "aggregate type, as GET /v1/types lists", typ: "string", example: "dogschool.Dog", required: true}
	pID      = param{name: "id", in: "path", desc: "aggregate id: a UUID, or a name that stands for the name-based UUID within the type", typ: "string", example: "fido", required: true}
	pCommand = param{name: "command", in: "path", desc: "command name", typ: "string", example: "register", required: true}
	pTimeout = param{name: TimeoutHeader, in: "header", desc: "a deadline shorter than the server's --request-timeout, as a Go duration: the server answers 504 (or 503 moved in a cluster) before it, so a caller can tell a late node from a dead one", typ: "string", example: "1.5s"}
)

// apiOperations is every documented route.
var apiOperations = []operation{
	{pattern: "GET /healthz", id: "healthz", summary: "Liveness: the process serves", tag: "operations", ok: "always {\"status\":\"ok\"}"},
	{pattern: "GET /readyz", id: "readyz", summary: "Readiness: the journal answers (and the cluster's checks pass); 503 with the reason per check when not", tag: "operations", ok: "ready"},
	{pattern: "GET /metrics", id: "metrics", summary: "Prometheus metrics", tag: "operations", ok: "the metrics in Prometheus's text format", text: "text/plain"},
	{pattern: "GET /v1/openapi.json", id: "openapi", summary: "This document", tag: "operations", ok: "the OpenAPI 3 document"},
	{pattern: "GET /ui/", id: "ui", summary: "The event browser, a web page", tag: "operations", ok: "the page and its assets", text: "text/html"},
	{pattern: "GET /v1/types", id: "types", summary: "The aggregate types and their commands", tag: "aggregates", ok: "{\"types\":[{\"name\",\"commands\",\"create_commands\"}]}"},
	{pattern: "GET /v1/log", id: "log", summary: "A page of the notification log", tag: "log", params: []param{
		{name: "partition", in: "query", desc: "log partition (default 0)", typ: "integer", example: "0"},
		{name: "start", in: "query", desc: "first position (default 1)", typ: "integer", example: "1"},
		{name: "limit", in: "query", desc: "most notifications (default 100, at most 1000)", typ: "integer", example: "100"},
		{name: "wait", in: "query", desc: "long poll: hold the request until the log reaches start, up to this long (such as 5s)", typ: "string", example: "0s"},
		{name: "types", in: "query", desc: "comma-separated event types to keep; the others' positions are passed (next)", typ: "string", example: "bank.Deposited"},
	}, ok: "{\"partition\",\"partitions\",\"head\",\"next\",\"notifications\":[...]}"},
	{pattern: "GET /v1/projections", id: "projections", summary: "Each projection's position, head, lag, handled, failures, retrying and last error, per partition", tag: "projections", ok: "{\"projections\":[...]}"},
	{pattern: "GET /v1/{type}/{id}", id: "state", summary: "An aggregate's state", tag: "aggregates", params: []param{pType, pID, pTimeout,
		{name: "version", in: "query", desc: "the state as it was at this version", typ: "integer", example: "1"}}, ok: "{\"id\",\"type\",\"version\",\"data\"}"},
	{pattern: "GET /v1/{type}/{id}/events", id: "events", summary: "An aggregate's stored events, decoded; 410 for a shredded subject", tag: "aggregates", params: []param{pType, pID,
		{name: "from", in: "query", desc: "first version (default 1)", typ: "integer", example: "1"},
		{name: "to", in: "query", desc: "last version (default: the last)", typ: "integer", example: "0"}},
		ok: "{\"id\",\"type\",\"events\":[{\"version\",\"type\",\"schema_version\",\"time\",\"data\",\"correlation_id\",\"causation_id\",\"writer\"}]}"},
	{pattern: "POST /v1/{type}/{id}/{command}", id: "command", summary: "Send a command to an aggregate", tag: "aggregates", params: []param{pType, pID, pCommand,
		{name: "Idempotency-Key", in: "header", desc: "the command id: a retry with the same key (same command and body) gets the first reply; the same key with another command or body is 422 idempotency_key_reused", typ: "string", example: "k-1"},
		{name: "X-Correlation-ID", in: "header", desc: "recorded on every event (made when absent, echoed back)", typ: "string", example: "c-1"},
		pTimeout},
		body: "the command as JSON", ok: "{\"id\",\"version\",\"position\",\"duplicate\",\"result\"}"},
	{pattern: "POST /v1/commands", id: "commands", summary: "A batch of commands, each answered on its own", tag: "aggregates", params: []param{pTimeout},
		body: "{\"commands\":[{\"type\",\"id\",\"command\",\"payload\",\"command_id\",\"correlation_id\"}]} (or a protobuf CommandBatch)", ok: "{\"replies\":[...]}"},
	{pattern: "GET /v1/bank/balances", id: "bankBalances", summary: "The bank example's balances read model (node run: examples.Host)", tag: "projections", ok: "{\"balances\":{\"<account uuid>\":<balance>}}"},
	{pattern: "GET /v1/cluster", id: "cluster", summary: "The cluster's members and partition owners (in a cluster only)", tag: "cluster", ok: "the cluster view"},
	{pattern: "GET /v1/admin/verify", id: "verify", summary: "Check the hash chain of an aggregate or a log partition", tag: "admin", admin: true, params: []param{
		{name: "partition", in: "query", desc: "the partition to verify", typ: "integer", example: "0"},
		{name: "aggregate", in: "query", desc: "the aggregate to verify (an id, or a name with type)", typ: "string"},
		{name: "type", in: "query", desc: "the aggregate's type, when aggregate is a name", typ: "string"}}, ok: "{\"verified\":true}"},
	{pattern: "POST /v1/admin/shred/{subject}", id: "shred", summary: "Crypto-shred a subject's data key", tag: "admin", admin: true, params: []param{
		{name: "subject", in: "path", desc: "the aggregate's UUID, or its name with type", typ: "string", example: "fido", required: true},
		{name: "type", in: "query", desc: "the aggregate type, when subject is a name", typ: "string", example: "dogschool.Dog"}}, ok: "{\"shredded\",\"evicted\"}"},
	{pattern: "POST /v1/admin/projections/{name}/reset", id: "resetProjection", summary: "Rebuild a projection from the start of the log", tag: "admin", admin: true, params: []param{
		{name: "name", in: "path", desc: "the projection's name", typ: "string", example: "bank.transfers", required: true}}, ok: "{\"reset\":NAME}"},
}

// undocumented are the patterns kept out of the document: the fallback
// that answers 404 for what has no route, and the cluster's node-to-node
// protocol.
var undocumented = map[string]bool{"/": true, "/internal/": true}

// openapi serves the document of the routes this server registered.
func (a *api) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.s.OpenAPI())
}

// OpenAPI returns the OpenAPI 3 document of the routes the server has
// registered, as JSON-ready maps.
func (s *Server) OpenAPI() map[string]any {
	registered := map[string]bool{}
	for _, p := range s.Routes() {
		registered[p] = true
	}
	paths := map[string]any{}
	for _, op := range apiOperations {
		if !registered[op.pattern] {
			continue
		}
		method, path, _ := strings.Cut(op.pattern, " ")
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op.document()
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "factum", "version": "1",
			"description": "factum's HTTP/JSON API: commands to aggregates, their state and history, the notification log, projections, operations and admin."},
		"paths": paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []string{"error", "message"},
				"properties": map[string]any{"error": map[string]any{"type": "string", "description": "the error code"},
					"message": map[string]any{"type": "string"}}}},
			"securitySchemes": map[string]any{"adminToken": map[string]any{"type": "http", "scheme": "bearer",
				"description": "the node's --admin-token; the admin endpoints are off without one"}},
		},
	}
}

func (op operation) document() map[string]any {
	content := "application/json"
	if op.text != "" {
		content = op.text
	}
	doc := map[string]any{
		"operationId": op.id, "summary": op.summary, "tags": []string{op.tag},
		"responses": map[string]any{
			"200": map[string]any{"description": op.ok, "content": map[string]any{content: map[string]any{}}},
			"default": map[string]any{"description": "an error: {\"error\": code, \"message\": text}",
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		},
	}
	if len(op.params) > 0 {
		ps := make([]map[string]any, 0, len(op.params))
		for _, p := range op.params {
			d := map[string]any{"name": p.name, "in": p.in, "description": p.desc, "required": p.required, "schema": map[string]any{"type": p.typ}}
			if p.example != "" {
				d["example"] = p.example
			}
			ps = append(ps, d)
		}
		doc["parameters"] = ps
	}
	if op.body != "" {
		doc["requestBody"] = map[string]any{"description": op.body, "required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	if op.admin {
		doc["security"] = []map[string]any{{"adminToken": []string{}}}
	}
	return doc
}
