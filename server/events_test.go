package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/storage/pipeline"
)

func TestAPIAggregateEvents(t *testing.T) {
	s := startAPI(t, pipeline.Config{CipherKey: make([]byte, 32), PerSubjectKeys: true})
	require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`, "X-Correlation-ID", "c-1").status)
	for _, trick := range []string{"sit", "beg"} {
		require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/rex/add-trick", `{"trick":"`+trick+`"}`, "Idempotency-Key", "k-"+trick).status)
	}
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/gus/open", `{"owner":"Gus"}`).status)

	r := s.get(t, "/v1/dogschool.Dog/rex/events")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "dogschool.Dog", r.body["type"])
	evs := r.body["events"].([]any)
	require.Len(t, evs, 3)
	first := evs[0].(map[string]any)
	assert.EqualValues(t, 1, first["version"])
	assert.Equal(t, "dogschool.Registered", first["type"])
	assert.Equal(t, map[string]any{"name": "Rex"}, first["data"])
	assert.Equal(t, "c-1", first["correlation_id"])
	assert.NotEmpty(t, first["causation_id"])
	assert.NotEmpty(t, first["time"])
	assert.Contains(t, first, "schema_version")
	last := evs[2].(map[string]any)
	assert.Equal(t, "k-beg", last["causation_id"])
	assert.Equal(t, map[string]any{"trick": "beg"}, last["data"])

	r = s.get(t, "/v1/dogschool.Dog/rex/events?from=2&to=2")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Len(t, r.body["events"], 1)
	assert.EqualValues(t, 2, r.body["events"].([]any)[0].(map[string]any)["version"])

	for path, want := range map[string]int{
		"/v1/dogschool.Dog/nobody/events":          http.StatusNotFound,
		"/v1/bank.Account/rex/events":              http.StatusNotFound, // rex is a dog
		"/v1/bank.Vault/rex/events":                http.StatusNotFound,
		"/v1/dogschool.Dog/rex/events?from=x":      http.StatusBadRequest,
		"/v1/dogschool.Dog/rex/events?from=3&to=2": http.StatusBadRequest,
	} {
		assert.Equal(t, want, s.get(t, path).status, path)
	}

	// A shredded subject answers 410 for its events, and only for its.
	id := s.get(t, "/v1/dogschool.Dog/rex").body["id"].(string)
	require.Equal(t, http.StatusOK, s.adminPost(t, "/v1/admin/shred/"+id).status)
	gone := s.get(t, "/v1/dogschool.Dog/rex/events")
	assert.Equal(t, http.StatusGone, gone.status, gone.body)
	assert.Equal(t, "shredded", gone.body["error"])
	assert.Equal(t, http.StatusOK, s.get(t, "/v1/bank.Account/gus/events").status)
}

// The log filtered by event types keeps the positions: a reader that
// follows next sees every matching event once and skips the rest.
func TestAPILogFilteredByType(t *testing.T) {
	s := startAPI(t)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/hal/open", `{"owner":"Hal"}`).status)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/ace/register", `{"name":"Ace"}`).status)
	for range 3 {
		require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/hal/deposit", `{"amount":1}`).status)
	}
	require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/hal/withdraw", `{"amount":1}`).status)

	var positions []float64
	var types []string
	next := 1.0
	for range 10 {
		r := s.get(t, "/v1/log?limit=2&types=bank.Deposited,dogschool.Registered&start="+strconv.Itoa(int(next)))
		require.Equal(t, http.StatusOK, r.status, r.body)
		for _, n := range r.body["notifications"].([]any) {
			n := n.(map[string]any)
			positions = append(positions, n["position"].(float64))
			types = append(types, n["type"].(string))
		}
		if r.body["next"].(float64) == next {
			break
		}
		next = r.body["next"].(float64)
	}
	assert.Equal(t, []float64{2, 3, 4, 5}, positions)
	assert.Equal(t, []string{"dogschool.Registered", "bank.Deposited", "bank.Deposited", "bank.Deposited"}, types)
	assert.Equal(t, 7.0, next, "next passes the filtered-out positions")
}
