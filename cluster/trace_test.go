package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/factum-dev/factum/actors"
	jredis "github.com/factum-dev/factum/journal/redis"
	"github.com/factum-dev/factum/proto/factumpb"
)

// TestForwardCarriesTraceContext: a forwarded command and a forwarded
// query carry the caller's trace to the owner as a W3C traceparent, and
// a forward without a trace carries none.
func TestForwardCarriesTraceContext(t *testing.T) {
	seen := make(chan string, 4)
	owner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("traceparent")
		if strings.HasPrefix(r.URL.Path, StatePath) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"state":{"type":"t","version":1}}`))
			return
		}
		b, _ := proto.Marshal(&factumpb.CommandReply{Version: 1})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
	}))
	t.Cleanup(owner.Close)
	n := &Node{cfg: Config{NodeID: "a", ForwardTimeout: 5 * time.Second}, http: owner.Client()}
	n.view.Store(&View{Leases: []jredis.Lease{{Partition: 0, Epoch: 1, Holder: "b"}},
		addrs: map[string]string{"b": strings.TrimPrefix(owner.URL, "http://")}})

	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	rep, err := n.forward(ctx, 0, actors.Command{AggregateType: "t", AggregateID: uuid.New(), Name: "c", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Equal(t, uint64(1), rep.Version)
	require.Equal(t, want, <-seen, "the forwarded command carries the trace")

	_, err = n.forwardState(ctx, 0, "t", uuid.New(), 0)
	require.NoError(t, err)
	require.Equal(t, want, <-seen, "the forwarded query carries the trace")

	_, err = n.forward(context.Background(), 0, actors.Command{AggregateType: "t", AggregateID: uuid.New(), Name: "c", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Empty(t, <-seen, "no trace, no traceparent")
}
