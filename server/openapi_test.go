package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/examples"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/server"
	smemory "github.com/factum-dev/factum/snapshots/memory"
)

// TestOpenAPI keeps /v1/openapi.json true: every route the server
// registers is in it, and every route in it answers (not the mux's 404
// or 405).
//
// To add a route: register it (server/api.go, or Server.HandleFunc) and
// add its operation to apiOperations in server/openapi.go, with the
// pattern exactly as registered and an example for each path parameter.
// Only the fallback "/" and the cluster's "/internal/" are left out
// (undocumented in server/openapi.go).
func TestOpenAPI(t *testing.T) {
	mem, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	s, err := server.New(context.Background(), server.Config{AdminToken: testAdminToken,
		Stores: &server.Stores{Journal: mem, Snapshots: smemory.New()}})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	require.NoError(t, s.Start(context.Background()))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); require.NoError(t, s.Close()) })

	res, err := hs.Client().Get(hs.URL + "/v1/openapi.json")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), doc.OpenAPI)

	for _, pattern := range s.Routes() {
		if pattern == "/" || pattern == "/internal/" {
			continue
		}
		method, path, ok := strings.Cut(pattern, " ")
		require.True(t, ok, "route %q has no method: give every route one", pattern)
		_, documented := doc.Paths[path][strings.ToLower(method)]
		assert.True(t, documented, "route %q is not in the OpenAPI document: add it to apiOperations (server/openapi.go)", pattern)
	}

	require.NotEmpty(t, doc.Paths)
	for path, item := range doc.Paths {
		for method, op := range item {
			url := path
			for _, p := range params(op) {
				if p["in"] == "path" {
					ex, _ := p["example"].(string)
					require.NotEmpty(t, ex, "%s %s: path parameter %v has no example", method, path, p["name"])
					url = strings.ReplaceAll(url, "{"+p["name"].(string)+"}", ex)
				}
			}
			if strings.HasSuffix(url, "/") {
				url += "index.html"
			}
			req, err := http.NewRequest(strings.ToUpper(method), hs.URL+url, strings.NewReader(`{}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+testAdminToken)
			res, err := hs.Client().Do(req)
			require.NoError(t, err)
			var body map[string]any
			_ = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			assert.NotEqual(t, http.StatusMethodNotAllowed, res.StatusCode, "%s %s", method, url)
			routed := !(res.StatusCode == http.StatusNotFound && strings.HasPrefix(stringOf(body["message"]), "no route"))
			assert.True(t, routed, "%s %s is documented and has no route: %v", method, url, body)
		}
	}
}

func params(op map[string]any) []map[string]any {
	ps, _ := op["parameters"].([]any)
	out := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.(map[string]any))
	}
	return out
}

func stringOf(v any) string { s, _ := v.(string); return s }
