package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/examples"
	"github.com/factum-dev/factum/proto/factumpb"
	"github.com/factum-dev/factum/server"
)

// postProto posts a protobuf body and decodes the reply into out.
func (s *testServer) postProto(t *testing.T, path string, in, out proto.Message) int {
	t.Helper()
	b, err := proto.Marshal(in)
	require.NoError(t, err)
	res, err := s.Client().Post(s.URL+path, "application/x-protobuf", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "application/x-protobuf", res.Header.Get("Content-Type"))
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, proto.Unmarshal(body, out), "%q", body)
	return res.StatusCode
}

// TestAPIProtobufCommands sends CommandEnvelopes on the command route and
// gets CommandReplies, errors included.
func TestAPIProtobufCommands(t *testing.T) {
	s := startAPI(t)
	id := uuid.New()
	var rep factumpb.CommandReply
	status := s.postProto(t, "/v1/bank.Account/"+id.String()+"/open",
		&factumpb.CommandEnvelope{Payload: []byte(`{"owner":"Ann"}`), CommandId: "open-1"}, &rep)
	require.Equal(t, http.StatusOK, status, rep.ErrorMessage)
	assert.EqualValues(t, 1, rep.Version)
	assert.EqualValues(t, 1, rep.Position)
	assert.Empty(t, rep.ErrorCode)

	// The envelope's command id de-duplicates, as the Idempotency-Key does.
	status = s.postProto(t, "/v1/bank.Account/"+id.String()+"/open",
		&factumpb.CommandEnvelope{Payload: []byte(`{"owner":"Ann"}`), CommandId: "open-1", AggregateId: id[:], AggregateType: "bank.Account", Command: "open"}, &rep)
	require.Equal(t, http.StatusOK, status, rep.ErrorMessage)
	assert.True(t, rep.Duplicate)

	for name, tc := range map[string]struct {
		path   string
		env    *factumpb.CommandEnvelope
		status int
		code   string
		says   string
	}{
		"rejected":        {"/v1/bank.Account/" + id.String() + "/withdraw", &factumpb.CommandEnvelope{Payload: []byte(`{"amount":5}`)}, 409, "rejected", "insufficient"},
		"unknown field":   {"/v1/bank.Account/" + id.String() + "/deposit", &factumpb.CommandEnvelope{Payload: []byte(`{"amont":5}`)}, 400, "bad_request", `unknown field "amont"`},
		"other type":      {"/v1/bank.Account/" + id.String() + "/deposit", &factumpb.CommandEnvelope{AggregateType: "bank.Vault"}, 400, "bad_request", "aggregate_type"},
		"other command":   {"/v1/bank.Account/" + id.String() + "/deposit", &factumpb.CommandEnvelope{Command: "withdraw"}, 400, "bad_request", "withdraw"},
		"other aggregate": {"/v1/bank.Account/" + id.String() + "/deposit", &factumpb.CommandEnvelope{AggregateId: []byte{1, 2}}, 400, "bad_request", "aggregate_id"},
		"past deadline":   {"/v1/bank.Account/" + id.String() + "/deposit", &factumpb.CommandEnvelope{Payload: []byte(`{"amount":5}`), DeadlineUnixNano: time.Now().Add(-time.Second).UnixNano()}, 504, "timeout", ""},
	} {
		t.Run(name, func(t *testing.T) {
			var rep factumpb.CommandReply
			status := s.postProto(t, tc.path, tc.env, &rep)
			assert.Equal(t, tc.status, status, rep.ErrorMessage)
			assert.Equal(t, tc.code, rep.ErrorCode)
			assert.Contains(t, rep.ErrorMessage, tc.says)
		})
	}

	res, err := s.Client().Post(s.URL+"/v1/bank.Account/"+id.String()+"/deposit", "application/x-protobuf", strings.NewReader("\xff\xff"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a body that is not a CommandEnvelope")

	st := s.get(t, "/v1/bank.Account/"+id.String())
	assert.EqualValues(t, 1, st.body["version"], "a failed command wrote something")
}

// TestAPIBatch sends many commands in one request: each is answered on
// its own, in order, and the commands of one aggregate run in order.
func TestAPIBatch(t *testing.T) {
	s := &testServer{Server: startServer(t, server.Config{MaxBody: 1 << 20}, nil)}
	var cmds []map[string]any
	for i := range 40 {
		cmds = append(cmds, map[string]any{"type": "bank.Account", "id": "acct-" + string(rune('a'+i%8)), "command": "open", "payload": map[string]any{"owner": "x"}})
	}
	// Eight accounts opened, then opened again (already_exists), then two
	// deposits each: the order within an aggregate holds.
	for i := range 8 {
		cmds = append(cmds, map[string]any{"type": "bank.Account", "id": "acct-" + string(rune('a'+i)), "command": "deposit", "payload": map[string]any{"amount": 10}, "command_id": "d1-" + string(rune('a'+i))})
		cmds = append(cmds, map[string]any{"type": "bank.Account", "id": "acct-" + string(rune('a'+i)), "command": "deposit", "payload": map[string]any{"amount": 5}})
	}
	cmds = append(cmds, map[string]any{"type": "bank.Vault", "id": "v", "command": "open"})
	cmds = append(cmds, map[string]any{"type": "bank.Account", "id": "acct-a", "command": "withdraw", "payload": map[string]any{"amount": 1000}})
	body, err := json.Marshal(map[string]any{"commands": cmds})
	require.NoError(t, err)
	res, err := s.Client().Post(s.URL+"/v1/commands", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var out struct {
		Replies []struct {
			ID       string `json:"id"`
			Version  uint64 `json:"version"`
			Position uint64 `json:"position"`
			Error    string `json:"error"`
			Message  string `json:"message"`
			Status   int    `json:"status"`
		} `json:"replies"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	require.Len(t, out.Replies, len(cmds))
	for i := range 40 {
		r := out.Replies[i]
		if i < 8 {
			assert.Empty(t, r.Error, "command %d: %s", i, r.Message)
			assert.EqualValues(t, 1, r.Version)
			continue
		}
		assert.Equal(t, "already_exists", r.Error, "command %d", i)
		assert.Equal(t, http.StatusConflict, r.Status)
	}
	for i := range 8 {
		first, second := out.Replies[40+2*i], out.Replies[41+2*i]
		assert.Empty(t, first.Error+second.Error)
		assert.EqualValues(t, 2, first.Version, "the first deposit of account %d", i)
		assert.EqualValues(t, 3, second.Version, "the second deposit of account %d", i)
		assert.Equal(t, out.Replies[i].ID, first.ID)
	}
	assert.Equal(t, "unknown_type", out.Replies[56].Error)
	assert.Equal(t, http.StatusNotFound, out.Replies[56].Status)
	assert.Equal(t, "rejected", out.Replies[57].Error)
	st := s.get(t, "/v1/bank.Account/acct-c")
	assert.EqualValues(t, 15, st.body["data"].(map[string]any)["balance"])

	// Protobuf: a CommandBatch answered with CommandReplies, by UUID and
	// by name.
	id := uuid.New()
	var reps factumpb.CommandReplies
	status := s.postProto(t, "/v1/commands", &factumpb.CommandBatch{Commands: []*factumpb.CommandEnvelope{
		{AggregateType: "bank.Account", AggregateId: id[:], Command: "open", Payload: []byte(`{"owner":"P"}`)},
		{AggregateType: "bank.Account", AggregateId: []byte("acct-a"), Command: "deposit", Payload: []byte(`{"amount":10}`), CommandId: "d1-a"},
		{AggregateType: "bank.Account", AggregateId: id[:], Command: "nope"},
	}}, &reps)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, reps.Replies, 3)
	assert.EqualValues(t, 1, reps.Replies[0].Version)
	assert.True(t, reps.Replies[1].Duplicate, "the command id d1-a was accepted in the JSON batch")
	assert.Equal(t, "bad_request", reps.Replies[2].ErrorCode)

	for name, tc := range map[string]struct {
		body   string
		status int
		says   string
	}{
		"not JSON":      {`{"commands":`, 400, "batch"},
		"unknown field": {`{"commands":[],"extra":1}`, 400, `unknown field "extra"`},
		"empty":         {`{"commands":[]}`, 400, "no commands"},
		"too many":      {`{"commands":[` + strings.TrimSuffix(strings.Repeat(`{"type":"a","id":"b","command":"c"},`, server.MaxBatch+1), ",") + `]}`, 413, "at most"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.post(t, "/v1/commands", tc.body)
			assert.Equal(t, tc.status, r.status, r.body)
			assert.Contains(t, r.body["message"], tc.says)
		})
	}
}

// TestCommandReplyEncoding: the reply the command route writes by hand
// is what encoding/json makes of it.
func TestCommandReplyEncoding(t *testing.T) {
	s := startAPI(t)
	id := uuid.New()
	for i, body := range []string{`{"owner":"E"}`, `{"amount":7}`, `{"amount":7}`} {
		cmd := "open"
		if i > 0 {
			cmd = "deposit"
		}
		req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/bank.Account/"+id.String()+"/"+cmd, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Idempotency-Key", "k"+cmd)
		res, err := s.Client().Do(req)
		require.NoError(t, err)
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", got)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		var reply struct {
			ID        uuid.UUID `json:"id"`
			Version   uint64    `json:"version"`
			Position  uint64    `json:"position"`
			Duplicate bool      `json:"duplicate"`
		}
		require.NoError(t, json.Unmarshal(got, &reply))
		want, err := json.Marshal(reply)
		require.NoError(t, err)
		assert.Equal(t, string(want)+"\n", string(got))
		assert.Equal(t, id, reply.ID)
		assert.Equal(t, i == 2, reply.Duplicate)
	}
}

// TestServeH2C: the server answers HTTP/2 over cleartext (prior
// knowledge) as well as HTTP/1.1 with keep-alive.
func TestServeH2C(t *testing.T) {
	s, err := server.New(context.Background(), server.Config{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, examples.Host(s))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protocols, TLSClientConfig: &tls.Config{}}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Post("http://"+ln.Addr().String()+"/v1/bank.Account/h2-"+string(rune('a'+i))+"/open", "application/json", strings.NewReader(`{"owner":"H"}`))
			if !assert.NoError(t, err) {
				return
			}
			defer res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, 2, res.ProtoMajor, "not HTTP/2")
		}()
	}
	wg.Wait()
}

// TestLogSchemaVersion: the log serves each event with the schema version
// its decoded value is at.
func TestLogSchemaVersion(t *testing.T) {
	s := startAPI(t)
	r := s.post(t, "/v1/dogschool.Dog/rex/register", `{"name":"Rex"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	page := s.get(t, "/v1/log?start=1&limit=1")
	require.Equal(t, http.StatusOK, page.status, page.body)
	n := page.body["notifications"].([]any)[0].(map[string]any)
	assert.EqualValues(t, 1, n["schema_version"], n)
	assert.Equal(t, "Rex", n["data"].(map[string]any)["name"], n)
}
