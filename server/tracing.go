package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/factum-dev/factum/actors"
)

// tracerName is the instrumentation scope of factum's spans.
const tracerName = "github.com/factum-dev/factum/server"

// tracing starts the spans of requests and, through the actor system's
// Tracer, of the phases of their commands; the zero value is off.
type tracing struct {
	tr   trace.Tracer // nil: off
	prop propagation.TextMapPropagator
}

func newTracing(tp trace.TracerProvider) tracing {
	if tp == nil {
		return tracing{}
	}
	return tracing{tr: tp.Tracer(tracerName),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
}

// actorTracer is the actor system's Tracer, or nil when tracing is off.
func (t tracing) actorTracer() actors.Tracer {
	if t.tr == nil {
		return nil
	}
	return phaseTracer{t.tr}
}

// startRequest starts the span of a request, as a child of the trace
// context its headers carry; end names it by its route and ends it.
func (t tracing) startRequest(r *http.Request) (*http.Request, func(route string, status int, correlation string)) {
	if t.tr == nil {
		return r, func(string, int, string) {}
	}
	ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tr.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
	return r.WithContext(ctx), func(route string, status int, correlation string) {
		if route != "" {
			span.SetName(route)
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if correlation != "" {
			span.SetAttributes(attribute.String("factum.correlation_id", correlation))
		}
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

// phaseTracer is the actor system's Tracer on an OpenTelemetry tracer.
type phaseTracer struct{ tr trace.Tracer }

func (p phaseTracer) Start(ctx context.Context, phase, aggregateType, command string) func(error) {
	_, span := p.tr.Start(ctx, phase, trace.WithAttributes(
		attribute.String("factum.aggregate_type", aggregateType), attribute.String("factum.command", command)))
	return func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// TracingFromEnv returns the tracer provider that the standard
// OpenTelemetry environment variables ask for, or nil when they ask for
// none: tracing is on when OTEL_TRACES_EXPORTER is "otlp" or an OTLP
// endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and off when OTEL_SDK_DISABLED is
// "true" or OTEL_TRACES_EXPORTER is "none". The exporter speaks OTLP over
// HTTP and reads its other OTEL_EXPORTER_OTLP_* settings itself; the
// sampler, batching and resource read theirs (OTEL_TRACES_SAMPLER,
// OTEL_BSP_*, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). Shut the
// provider down when the node stops, to send the last spans.
func TracingFromEnv(ctx context.Context, getenv func(string) string) (*sdktrace.TracerProvider, error) {
	exporter := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	endpoint := getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	switch {
	case strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true"), exporter == "none":
		return nil, nil
	case exporter == "" && !endpoint:
		return nil, nil
	case exporter != "" && exporter != "otlp":
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: factum exports traces with otlp (or none): %w", exporter, ErrUsage)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName(getenv))))
	if err != nil {
		res = resource.Default()
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

func serviceName(getenv func(string) string) string {
	if n := getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "factum"
}
