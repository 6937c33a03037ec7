//! Tracing: an env-filtered subscriber (human or JSON), OTLP export when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and W3C trace context in gRPC metadata.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

mod by_service;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Keeps the exporter alive; flushes spans when dropped.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

impl Telemetry {
    /// Exports every finished span now (blocks until the exporters answer).
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            let _ = p.force_flush();
        }
    }
}

/// An extra exporter hook for [`init`] (tests use an in-memory one).
pub type ExtraExporter =
    Box<dyn FnOnce(opentelemetry_sdk::trace::TracerProviderBuilder) -> opentelemetry_sdk::trace::TracerProviderBuilder>;

/// Installs the global subscriber. With an OTLP endpoint configured
/// (`OTEL_EXPORTER_OTLP_ENDPOINT`), spans are exported in batches, each under the
/// `service.name` of the service that made it (see [`init_with`]); `extra` adds another
/// exporter.
pub fn init(service: &str, format: LogFormat, extra: Option<ExtraExporter>) -> anyhow::Result<Telemetry> {
    let otlp_endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|e| !e.is_empty());
    init_with(TelemetryOptions { process: service.to_owned(), services: Vec::new(), format, otlp_endpoint, extra })
}

/// How [`init_with`] sets tracing up.
pub struct TelemetryOptions {
    /// The process's `service.name`, for spans that name no service of their own.
    pub process: String,
    /// The services this process runs besides (gcc-stack: all four), by name.
    pub services: Vec<String>,
    pub format: LogFormat,
    /// OTLP/gRPC endpoint (`http://collector:4317`); no export without it.
    pub otlp_endpoint: Option<String>,
    pub extra: Option<ExtraExporter>,
}

/// Installs the global subscriber. Server and client spans carry the `service.name` of
/// the service that made them (several services can share one process, as in
/// `gcc-stack`); the OTLP export groups spans by it, so that each service appears under
/// its own name as an OpenTelemetry resource.
pub fn init_with(options: TelemetryOptions) -> anyhow::Result<Telemetry> {
    let TelemetryOptions { process: service, services, format, otlp_endpoint, extra } = options;
    let service = service.as_str();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,h2=warn,tower=warn"));
    let fmt = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_target(false).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).boxed(),
    };

    let mut builder = None;
    if let Some(endpoint) = otlp_endpoint {
        let make = move || {
            use opentelemetry_otlp::WithExportConfig;
            opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(endpoint.clone()).build()
        };
        let exporter = by_service::ByService::new(&services, make)?;
        builder = Some(SdkTracerProvider::builder().with_batch_exporter(exporter));
    }
    if let Some(add) = extra {
        builder = Some(add(builder.unwrap_or_else(SdkTracerProvider::builder)));
    }
    let provider = builder.map(|b| {
        b.with_resource(opentelemetry_sdk::Resource::builder().with_service_name(service.to_owned()).build()).build()
    });
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service.to_owned())));

    tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init()?;
    Ok(Telemetry { provider })
}

/// Builds a span exporter hook, for `init`'s `extra`.
pub fn with_exporter<E: SpanExporter + 'static>(
    exporter: E,
) -> Box<dyn FnOnce(opentelemetry_sdk::trace::TracerProviderBuilder) -> opentelemetry_sdk::trace::TracerProviderBuilder>
{
    Box::new(move |b| b.with_simple_exporter(exporter))
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes the trace context in incoming headers the parent of `span`.
pub fn adopt_remote_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    let cx = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

pub use gcc_core::trace::{inject_span_context, inject_trace_context};

/// The current trace ID, or an empty string outside a sampled trace.
pub fn current_trace_id() -> String {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    if sc.is_valid() { sc.trace_id().to_string() } else { String::new() }
}
