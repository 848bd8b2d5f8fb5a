package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/factum-dev/factum/domain"
	"github.com/factum-dev/factum/eventlog/httplog"
	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/examples/dogschool/school"
	"github.com/factum-dev/factum/journal"
	jmemory "github.com/factum-dev/factum/journal/memory"
	"github.com/factum-dev/factum/projections"
	"github.com/factum-dev/factum/server"
	smemory "github.com/factum-dev/factum/snapshots/memory"
	"github.com/factum-dev/factum/storage/pipeline"
)

// faultyJournal fails the appends of chosen aggregates with chosen errors.
type faultyJournal struct {
	journal.Journal
	mu          sync.Mutex
	fails       map[uuid.UUID]error
	hang        chan struct{} // closed: the appends failed with errHang return
	hanging     int           // appends that waited on hang
	releaseOnce sync.Once
}

// release lets the hanging appends return; safe twice.
func (f *faultyJournal) release() { f.releaseOnce.Do(func() { close(f.hang) }) }

func (f *faultyJournal) hangingAppends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hanging
}

// errHang makes an aggregate's appends wait until the journal's hang
// channel is closed (or their context ends).
var errHang = errors.New("hang")

func (f *faultyJournal) failWith(id uuid.UUID, err error) {
	f.mu.Lock()
	f.fails[id] = err
	f.mu.Unlock()
}

func (f *faultyJournal) Append(ctx context.Context, id uuid.UUID, expected uint64, recs []journal.Record) (uint64, error) {
	f.mu.Lock()
	err := f.fails[id]
	hang := f.hang
	if errors.Is(err, errHang) {
		f.hanging++
	}
	f.mu.Unlock()
	if errors.Is(err, errHang) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-hang:
			return 0, fmt.Errorf("released: %w", journal.ErrUnavailable)
		}
	}
	if err != nil {
		return 0, err
	}
	return f.Journal.Append(ctx, id, expected, recs)
}

type testServer struct {
	*httptest.Server
	j *faultyJournal
}

// startServer starts a server with the examples on fj (or a new memory
// journal) and serves its API; cfg's zero fields take the test defaults.
// The projections run are the examples' and extra.
func startServer(t *testing.T, cfg server.Config, j journal.Journal, extra ...projections.Runnable) *httptest.Server {
	if j == nil {
		mem, err := jmemory.New(jmemory.Config{Partitions: max(cfg.Partitions, 1)})
		require.NoError(t, err)
		j = mem
	}
	cfg.Stores = &server.Stores{Journal: j, Snapshots: smemory.New()}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1024
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	s, err := server.New(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	if len(extra) > 0 {
		require.NoError(t, s.Run(extra...))
	}
	require.NoError(t, s.Start(context.Background()))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, s.Close())
	})
	return srv
}

func startAPI(t *testing.T, storage ...pipeline.Config) *testServer {
	mem, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	fj := &faultyJournal{Journal: mem, fails: map[uuid.UUID]error{}, hang: make(chan struct{})}
	cfg := server.Config{SnapshotEvery: 2, AdminToken: testAdminToken}
	if len(storage) > 0 {
		cfg.Storage = storage[0]
	}
	ts := &testServer{Server: startServer(t, cfg, fj), j: fj}
	t.Cleanup(fj.release) // before the server closes
	return ts
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (s *testServer) do(t *testing.T, method, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out), "%s %s: body is not JSON", method, path)
	return response{status: res.StatusCode, header: res.Header, body: out}
}

func (s *testServer) post(t *testing.T, path, body string, headers ...string) response {
	return s.do(t, http.MethodPost, path, body, headers...)
}

func (s *testServer) get(t *testing.T, path string) response {
	return s.do(t, http.MethodGet, path, "")
}

// testAdminToken is the admin token of the servers startAPI starts.
const testAdminToken = "test-admin-token"

func (s *testServer) adminGet(t *testing.T, path string) response {
	return s.do(t, http.MethodGet, path, "", "Authorization", "Bearer "+testAdminToken)
}

func (s *testServer) adminPost(t *testing.T, path string) response {
	return s.do(t, http.MethodPost, path, "", "Authorization", "Bearer "+testAdminToken)
}

func TestAPICommandsAndQueries(t *testing.T) {
	s := startAPI(t)
	id := uuid.NewString()
	r := s.post(t, "/v1/dogschool.Dog/"+id+"/register", `{"name":"Fido"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, id, r.body["id"])
	assert.EqualValues(t, 1, r.body["version"])
	assert.Equal(t, false, r.body["duplicate"], "duplicate is always in a command's reply")
	r = s.post(t, "/v1/dogschool.Dog/"+id+"/add-trick", `{"trick":"roll over"}`, "X-Correlation-ID", "corr-1")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "corr-1", r.header.Get("X-Correlation-ID"))
	r = s.post(t, "/v1/dogschool.Dog/"+id+"/add-trick", `{"trick":"fetch ball"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.EqualValues(t, 3, r.body["version"])
	assert.Equal(t, map[string]any{"tricks": 2.0}, r.body["result"], "the handler's result is in the reply")
	assert.EqualValues(t, 3, r.body["position"])

	r = s.get(t, "/v1/dogschool.Dog/"+id)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.EqualValues(t, 3, r.body["version"])
	assert.Equal(t, map[string]any{"name": "Fido", "tricks": []any{"roll over", "fetch ball"}}, r.body["data"])

	r = s.get(t, "/v1/dogschool.Dog/"+id+"?version=2")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, []any{"roll over"}, r.body["data"].(map[string]any)["tricks"])

	r = s.get(t, "/v1/log?start=2&limit=10")
	require.Equal(t, http.StatusOK, r.status, r.body)
	ns := r.body["notifications"].([]any)
	require.Len(t, ns, 2)
	first := ns[0].(map[string]any)
	assert.EqualValues(t, 2, first["position"])
	assert.Equal(t, "dogschool.TrickAdded", first["type"])
	assert.Equal(t, map[string]any{"trick": "roll over"}, first["data"])
	assert.Equal(t, "corr-1", first["correlation_id"])
	assert.NotEmpty(t, first["causation_id"], "every event records its command's id")
	assert.EqualValues(t, 4, r.body["next"])

	r = s.get(t, "/v1/types")
	require.Equal(t, http.StatusOK, r.status)
	assert.Len(t, r.body["types"], 3) // Dog, Account, Transfer
}

func TestAPINameIDs(t *testing.T) {
	s := startAPI(t)
	r := s.post(t, "/v1/bank.Account/alice@example.com/open", `{"owner":"Alice"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	again := s.get(t, "/v1/bank.Account/alice@example.com")
	require.Equal(t, http.StatusOK, again.status, again.body)
	assert.Equal(t, r.body["id"], again.body["id"], "a name always gives the same aggregate")
	byUUID := s.get(t, "/v1/bank.Account/"+r.body["id"].(string))
	assert.Equal(t, http.StatusOK, byUUID.status)
}

func TestAPIIdempotencyKey(t *testing.T) {
	s := startAPI(t)
	s.post(t, "/v1/bank.Account/bob/open", `{"owner":"Bob"}`)
	first := s.post(t, "/v1/bank.Account/bob/deposit", `{"amount":100}`, "Idempotency-Key", "dep-1")
	require.Equal(t, http.StatusOK, first.status, first.body)
	retry := s.post(t, "/v1/bank.Account/bob/deposit", `{"amount":100}`, "Idempotency-Key", "dep-1")
	log := s.get(t, "/v1/log?start=2&limit=1")
	assert.Equal(t, "dep-1", log.body["notifications"].([]any)[0].(map[string]any)["causation_id"])
	require.Equal(t, http.StatusOK, retry.status, retry.body)
	assert.Equal(t, true, retry.body["duplicate"])
	assert.Equal(t, first.body["version"], retry.body["version"])
	st := s.get(t, "/v1/bank.Account/bob")
	assert.EqualValues(t, 100, st.body["data"].(map[string]any)["balance"], "the retry deposited twice")

	// The key reused with another body, or for another command: 422, and
	// nothing is run.
	for _, r := range []response{
		s.post(t, "/v1/bank.Account/bob/deposit", `{"amount":999}`, "Idempotency-Key", "dep-1"),
		s.post(t, "/v1/bank.Account/bob/withdraw", `{"amount":100}`, "Idempotency-Key", "dep-1"),
	} {
		assert.Equal(t, http.StatusUnprocessableEntity, r.status, r.body)
		assert.Equal(t, "idempotency_key_reused", r.body["error"], r.body)
		assert.Contains(t, r.body["message"], "dep-1")
	}
	st = s.get(t, "/v1/bank.Account/bob")
	assert.EqualValues(t, 100, st.body["data"].(map[string]any)["balance"])
}

func TestAPIErrors(t *testing.T) {
	s := startAPI(t)
	s.post(t, "/v1/bank.Account/carol/open", `{"owner":"Carol"}`)
	s.post(t, "/v1/bank.Account/carol/deposit", `{"amount":50}`)
	conflicted, unavailable, unknown := uuid.New(), uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{conflicted, unavailable, unknown} {
		require.Equal(t, http.StatusOK, s.post(t, "/v1/bank.Account/"+id.String()+"/open", `{"owner":"X"}`).status)
	}
	s.j.failWith(conflicted, &journal.ConflictError{AggregateID: conflicted, Expected: 1, Actual: 2})
	s.j.failWith(unavailable, fmt.Errorf("dial: %w", journal.ErrUnavailable))
	s.j.failWith(unknown, fmt.Errorf("read timeout: %w", journal.ErrOutcomeUnknown))

	cases := []struct {
		name, method, path, body string
		status                   int
		code, mentions           string
	}{
		{"malformed JSON", "POST", "/v1/bank.Account/carol/deposit", `{"amount":`, 400, "bad_request", "not valid JSON"},
		{"wrong JSON shape", "POST", "/v1/bank.Account/carol/deposit", `{"amount":"ten"}`, 400, "bad_request", "deposit"},
		{"unknown field", "POST", "/v1/dogschool.Dog/carol/register", `{"nmae":"Carol"}`, 400, "bad_request", `unknown field "nmae"`},
		{"two JSON values", "POST", "/v1/bank.Account/carol/deposit", `{"amount":1} {"amount":2}`, 400, "bad_request", ""},
		{"unknown command", "POST", "/v1/bank.Account/carol/embezzle", `{}`, 400, "bad_request", "embezzle"},
		{"unknown type", "POST", "/v1/bank.Vault/carol/open", `{}`, 404, "unknown_type", "bank.Vault"},
		{"unknown type on GET", "GET", "/v1/bank.Vault/carol", "", 404, "unknown_type", "bank.Vault"},
		{"unknown aggregate", "GET", "/v1/bank.Account/nobody", "", 404, "not_found", ""},
		{"command to unknown aggregate", "POST", "/v1/bank.Account/nobody/deposit", `{"amount":1}`, 404, "not_found", ""},
		{"create twice", "POST", "/v1/bank.Account/carol/open", `{"owner":"C"}`, 409, "already_exists", ""},
		{"business rule", "POST", "/v1/bank.Account/carol/withdraw", `{"amount":51}`, 409, "rejected", "insufficient funds"},
		{"conflict", "POST", "/v1/bank.Account/" + conflicted.String() + "/deposit", `{"amount":1}`, 409, "conflict", "version"},
		{"journal unavailable", "POST", "/v1/bank.Account/" + unavailable.String() + "/deposit", `{"amount":1}`, 503, "unavailable", ""},
		{"outcome unknown", "POST", "/v1/bank.Account/" + unknown.String() + "/deposit", `{"amount":1}`, 504, "outcome_unknown", ""},
		{"body over the limit", "POST", "/v1/bank.Account/carol/deposit", `{"amount":1,"pad":"` + strings.Repeat("x", 2000) + `"}`, 413, "too_large", "1024 bytes"},
		{"bad version", "GET", "/v1/bank.Account/carol?version=abc", "", 400, "bad_request", "version"},
		{"limit over the maximum", "GET", "/v1/log?limit=5000", "", 400, "bad_request", "5000"},
		{"bad partition", "GET", "/v1/log?partition=3", "", 400, "bad_request", "partition 3"},
		{"wrong method", "DELETE", "/v1/bank.Account/carol", "", 405, "method_not_allowed", "GET"},
		{"wrong method on a fixed route", "POST", "/v1/types", "", 405, "method_not_allowed", "GET"},
		{"wrong method on a command route", "GET", "/v1/bank.Account/carol/deposit", "", 405, "method_not_allowed", "POST"},
		{"no route", "GET", "/nowhere/at/all/really", "", 404, "not_found", "/nowhere"},
		{"invalid UTF-8", "POST", "/v1/bank.Account/carol/deposit", "{\"amount\":1,\"note\":\"\xff\xfe\"}", 400, "bad_request", "UTF-8"},
		{"invalid UTF-8 in a batch", "POST", "/v1/commands", "[{\"type\":\"bank.Account\",\"id\":\"carol\",\"command\":\"deposit\",\"payload\":{\"note\":\"\xff\"}}]", 400, "bad_request", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, tc.method, tc.path, tc.body)
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Equal(t, tc.code, r.body["error"], r.body)
			assert.Contains(t, r.body["message"], tc.mentions)
			if tc.status == http.StatusMethodNotAllowed {
				assert.Contains(t, r.header.Get("Allow"), tc.mentions, "405 names the methods in Allow")
			}
		})
	}
	st := s.get(t, "/v1/bank.Account/carol")
	assert.EqualValues(t, 50, st.body["data"].(map[string]any)["balance"], "a failed command changed the balance")
	assert.EqualValues(t, 2, st.body["version"])
}

func TestAPIStoragePipeline(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	s := startAPI(t, pipeline.Config{Compression: "zstd", CipherKey: key, PerSubjectKeys: true, HashChain: true})
	r := s.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	id := r.body["id"].(string)
	for _, trick := range []string{"sit", "beg", "roll over"} {
		require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/rex/add-trick", `{"trick":"`+trick+`"}`).status)
	}
	// Stored encrypted: the journal's bytes do not hold the name.
	recs, err := s.j.Read(context.Background(), uuid.MustParse(id), 1, 0)
	require.NoError(t, err)
	require.Len(t, recs, 4)
	assert.NotContains(t, string(recs[0].Data), "Rex")
	assert.Equal(t, "aes-256-gcm", recs[0].Headers["cipher"])

	v := s.adminGet(t, "/v1/admin/verify?type=dogschool.Dog&aggregate=rex")
	assert.Equal(t, http.StatusOK, v.status, v.body)
	v = s.adminGet(t, "/v1/admin/verify?partition=0")
	assert.Equal(t, http.StatusOK, v.status, v.body)
	log := s.get(t, "/v1/log?limit=10")
	require.Equal(t, http.StatusOK, log.status)
	assert.Equal(t, map[string]any{"name": "Rex"}, log.body["notifications"].([]any)[0].(map[string]any)["data"])

	sh := s.adminPost(t, "/v1/admin/shred/"+id)
	require.Equal(t, http.StatusOK, sh.status, sh.body)
	gone := s.adminGet(t, "/v1/admin/verify?partition=0")
	assert.Equal(t, http.StatusOK, gone.status, "shredded events still verify")
	log = s.get(t, "/v1/log?limit=10")
	require.Equal(t, http.StatusOK, log.status, "a shredded event does not stop the log's readers: %v", log.body)
	ns := log.body["notifications"].([]any)
	require.Len(t, ns, 4)
	for i, n := range ns {
		e := n.(map[string]any)
		assert.Equal(t, "shredded", e["unreadable"], "position %d is marked", i+1)
		assert.EqualValues(t, i+1, e["position"], "its place is kept")
		assert.NotEmpty(t, e["type"], "its type is kept")
		assert.Nil(t, e["data"], "its data is absent")
	}
	st := s.get(t, "/v1/dogschool.Dog/"+id+"?version=1")
	assert.Equal(t, http.StatusGone, st.status, st.body)
	assert.Equal(t, "shredded", st.body["error"])
}

// A stored event that fails to decrypt (one flipped byte): the
// aggregate's read answers 422 corrupt naming the aggregate and version,
// on a node that loads it; the log serves the page with that event marked
// corrupt and the others whole; a follower over HTTP (httplog) reads the
// mark as journal.ErrCorrupt.
func TestAPICorruptEvent(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	mem, err := jmemory.New(jmemory.Config{})
	require.NoError(t, err)
	cfg := server.Config{Storage: pipeline.Config{CipherKey: key}}
	a := &testServer{Server: startServer(t, cfg, mem)}
	rex := a.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`).body["id"].(string)
	a.post(t, "/v1/dogschool.Dog/rex/add-trick", `{"trick":"sit"}`)
	a.post(t, "/v1/dogschool.Dog/fido/register", `{"name":"Fido"}`)
	recs, err := mem.Read(context.Background(), uuid.MustParse(rex), 2, 2)
	require.NoError(t, err)
	recs[0].Data[len(recs[0].Data)-1] ^= 1 // tampered with in the store

	b := &testServer{Server: startServer(t, cfg, mem)} // a node with no live actor for rex
	st := b.get(t, "/v1/dogschool.Dog/rex")
	assert.Equal(t, http.StatusUnprocessableEntity, st.status, st.body)
	assert.Equal(t, "corrupt", st.body["error"])
	assert.Contains(t, st.body["message"], rex)
	assert.Contains(t, st.body["message"], "version 2")
	cmd := b.post(t, "/v1/dogschool.Dog/rex/add-trick", `{"trick":"beg"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, cmd.status, cmd.body)
	assert.Equal(t, http.StatusOK, b.get(t, "/v1/dogschool.Dog/fido").status, "the other aggregates read")

	log := b.get(t, "/v1/log?limit=10")
	require.Equal(t, http.StatusOK, log.status, log.body)
	ns := log.body["notifications"].([]any)
	require.Len(t, ns, 3)
	bad := ns[1].(map[string]any)
	assert.Equal(t, "corrupt", bad["unreadable"])
	assert.EqualValues(t, 2, bad["position"])
	assert.Equal(t, "dogschool.TrickAdded", bad["type"])
	assert.Nil(t, bad["data"])
	assert.Contains(t, bad["error"], "version 2")
	assert.Equal(t, map[string]any{"name": "Fido"}, ns[2].(map[string]any)["data"])

	reg := domain.NewRegistry()
	require.NoError(t, school.RegisterTypes(reg))
	hl, err := httplog.New(context.Background(), httplog.Config{URL: b.URL, Registry: reg})
	require.NoError(t, err)
	got, err := hl.Select(context.Background(), 0, 1, 10)
	require.NoError(t, err)
	require.Len(t, got, 3)
	_, err = hl.Decode(context.Background(), got[1].Record)
	require.ErrorIs(t, err, journal.ErrCorrupt)
	e, err := hl.Decode(context.Background(), got[2].Record)
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.Version)
}

func TestAPIAdminOff(t *testing.T) {
	s := startAPI(t)
	assert.Equal(t, http.StatusBadRequest, s.adminGet(t, "/v1/admin/verify?partition=0").status)
	assert.Equal(t, http.StatusBadRequest, s.adminPost(t, "/v1/admin/shred/x").status)
}

// The id of a bank account used as a dog's: 404 not_found naming the type
// asked for, never the account's data, nothing written (SnapshotEvery is
// 2, so the account has a snapshot too).
func TestAPIIDOfAnotherType(t *testing.T) {
	s := startAPI(t)
	id := uuid.NewString()
	s.post(t, "/v1/bank.Account/"+id+"/open", `{"owner":"Dora"}`)
	s.post(t, "/v1/bank.Account/"+id+"/deposit", `{"amount":5}`)
	s.post(t, "/v1/bank.Account/"+id+"/deposit", `{"amount":5}`)
	for _, r := range []response{
		s.get(t, "/v1/dogschool.Dog/"+id),
		s.get(t, "/v1/dogschool.Dog/"+id+"?version=1"),
		s.post(t, "/v1/dogschool.Dog/"+id+"/add-trick", `{"trick":"sit"}`),
		s.post(t, "/v1/dogschool.Dog/"+id+"/register", `{"name":"Rex"}`),
	} {
		assert.Equal(t, http.StatusNotFound, r.status, r.body)
		assert.Equal(t, "not_found", r.body["error"], r.body)
		assert.Contains(t, r.body["message"], "dogschool.Dog")
		assert.Nil(t, r.body["data"])
	}
	st := s.get(t, "/v1/bank.Account/"+id)
	assert.EqualValues(t, 3, st.body["version"], "nothing written to the account")
}

// A discarded aggregate answers 410 discarded to commands and to reads of
// its state; its history is still readable at earlier versions.
func TestAPIDiscarded(t *testing.T) {
	s := startAPI(t)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`).status)
	r := s.post(t, "/v1/dogschool.Dog/rex/leave", `{}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.EqualValues(t, 2, r.body["version"])
	for _, r := range []response{
		s.post(t, "/v1/dogschool.Dog/rex/add-trick", `{"trick":"sit"}`),
		s.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`),
		s.get(t, "/v1/dogschool.Dog/rex"),
		s.get(t, "/v1/dogschool.Dog/rex?version=2"),
	} {
		assert.Equal(t, http.StatusGone, r.status, r.body)
		assert.Equal(t, "discarded", r.body["error"], r.body)
	}
	r = s.get(t, "/v1/dogschool.Dog/rex?version=1")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "Rex", r.body["data"].(map[string]any)["name"])
}

// A shred reaches the live actor at once: every read of the aggregate's
// state and every command answer 410 shredded, and its actor is stopped.
// A name is shredded as the URL names it (?type=T).
func TestAPIShredReachesLiveActors(t *testing.T) {
	key := make([]byte, 32)
	s := startAPI(t, pipeline.Config{CipherKey: key, PerSubjectKeys: true})
	r := s.post(t, "/v1/dogschool.Dog/fido/register", `{"name":"Fido"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	id := r.body["id"].(string)
	require.Equal(t, http.StatusOK, s.post(t, "/v1/dogschool.Dog/fido/add-trick", `{"trick":"sit"}`).status)
	require.Equal(t, http.StatusOK, s.get(t, "/v1/dogschool.Dog/fido").status, "served by the live actor")

	sh := s.adminPost(t, "/v1/admin/shred/fido")
	require.Equal(t, http.StatusBadRequest, sh.status, "a bare name is ambiguous: %v", sh.body)
	assert.Contains(t, sh.body["message"], "?type=")
	sh = s.adminPost(t, "/v1/admin/shred/fido?type=bank.Vault")
	require.Equal(t, http.StatusNotFound, sh.status, sh.body)
	require.Equal(t, http.StatusOK, s.get(t, "/v1/dogschool.Dog/fido").status, "nothing was shredded yet")

	sh = s.adminPost(t, "/v1/admin/shred/fido?type=dogschool.Dog")
	require.Equal(t, http.StatusOK, sh.status, sh.body)
	assert.Equal(t, id, sh.body["shredded"], "the name maps to the id its URL names")
	assert.EqualValues(t, 1, sh.body["evicted"], "the live actor is stopped")
	for _, r := range []response{
		s.get(t, "/v1/dogschool.Dog/fido"),
		s.get(t, "/v1/dogschool.Dog/"+id),
		s.get(t, "/v1/dogschool.Dog/fido?version=1"),
		s.post(t, "/v1/dogschool.Dog/fido/add-trick", `{"trick":"beg"}`),
	} {
		assert.Equal(t, http.StatusGone, r.status, r.body)
		assert.Equal(t, "shredded", r.body["error"], r.body)
		assert.NotContains(t, fmt.Sprint(r.body), "Fido")
	}
	sh = s.adminPost(t, "/v1/admin/shred/"+id)
	require.Equal(t, http.StatusOK, sh.status, "by UUID, again: %v", sh.body)
	assert.EqualValues(t, 1, sh.body["evicted"], "the actor the refused command activated")
}
