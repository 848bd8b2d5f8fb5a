package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/factum-dev/factum/server"
)

// TestTracingSpanTree: an HTTP command is one span, named by its route and
// carrying the correlation id, with the actor's activation, handler and
// journal append as its children; the trace continues the caller's
// (traceparent).
func TestTracingSpanTree(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	ts := &testServer{Server: startServer(t, server.Config{TracerProvider: tp}, nil)}

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := ts.post(t, "/v1/dogschool.Dog/lou/register", `{"name":"Lou"}`,
		"X-Correlation-ID", "corr-trace", "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.NoError(t, tp.ForceFlush(t.Context()))

	spans := exp.GetSpans()
	var root *tracetest.SpanStub
	for i := range spans {
		if spans[i].Name == "POST /v1/{type}/{id}/{command}" {
			root = &spans[i]
		}
	}
	require.NotNil(t, root, "no span for the command; spans: %v", names(spans))
	assert.Equal(t, traceID, root.SpanContext.TraceID().String(), "the trace continues the caller's")
	assert.Contains(t, root.Attributes, attribute.String("factum.correlation_id", "corr-trace"))
	assert.Contains(t, root.Attributes, attribute.Int("http.response.status_code", 200))

	children := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		if s.Parent.SpanID() == root.SpanContext.SpanID() {
			children[s.Name] = s
		}
	}
	for _, phase := range []string{"activate", "handle", "append"} {
		c, ok := children[phase]
		if assert.True(t, ok, "no %q span under the command; spans: %v", phase, names(spans)) {
			assert.Contains(t, c.Attributes, attribute.String("factum.aggregate_type", "dogschool.Dog"))
			assert.Contains(t, c.Attributes, attribute.String("factum.command", "register"))
		}
	}
	assert.True(t, children["activate"].EndTime.Before(children["handle"].StartTime) || children["activate"].EndTime.Equal(children["handle"].StartTime),
		"the activation ends before the handler starts")

	// A second command finds its actor live: no activation span.
	exp.Reset()
	r = ts.post(t, "/v1/dogschool.Dog/lou/register", `{"name":"Lou"}`)
	require.Equal(t, http.StatusConflict, r.status, r.body)
	require.NoError(t, tp.ForceFlush(t.Context()))
	for _, s := range exp.GetSpans() {
		assert.NotEqual(t, "activate", s.Name, "a live actor is not activated again")
	}
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name + " (parent " + s.Parent.SpanID().String() + ")"
	}
	return out
}

func TestTracingFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tp, err := server.TracingFromEnv(t.Context(), env())
	require.NoError(t, err)
	assert.Nil(t, tp, "off by default")
	tp, err = server.TracingFromEnv(t.Context(), env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_SDK_DISABLED", "true"))
	require.NoError(t, err)
	assert.Nil(t, tp, "OTEL_SDK_DISABLED wins")
	tp, err = server.TracingFromEnv(t.Context(), env("OTEL_TRACES_EXPORTER", "zipkin"))
	require.ErrorIs(t, err, server.ErrUsage)
	assert.Nil(t, tp)
	tp, err = server.TracingFromEnv(t.Context(), env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))
	require.NoError(t, err)
	require.NotNil(t, tp, "on with an OTLP endpoint")
	require.NoError(t, tp.Shutdown(t.Context()))
}
