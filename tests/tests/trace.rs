//! One OpenTelemetry trace spans ordering → customer-validation → partner-eligibility for
//! one order. Its own test binary, because it installs the process-wide subscriber.

use gcc_e2e::steps::order;
use gcc_e2e::{Options, Stack};
use gcc_platform::telemetry::{self, LogFormat};
use opentelemetry_sdk::trace::InMemorySpanExporter;
use tracing::Instrument;

/// A server's span (each call also has its caller's client span, of the same name).
fn server(s: &opentelemetry_sdk::trace::SpanData) -> bool {
    s.span_kind == opentelemetry::trace::SpanKind::Server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_ordering_validation_and_partner_eligibility() {
    let exporter = InMemorySpanExporter::default();
    let _telemetry = telemetry::init("gcc-e2e", LogFormat::Text, Some(telemetry::with_exporter(exporter.clone())))
        .expect("telemetry");
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    // No cached facts: the gate must ask partner-eligibility during this very order.
    let options =
        Options { postgres, validation_args: vec!["--fact-cache-ttl".into(), "0s".into()], ..Default::default() };
    let s = Stack::start(options).await.unwrap();
    let partner = s.gcc_partner().await;
    let customer = s.validated_customer(partner).await;
    exporter.reset();

    let root = tracing::info_span!("place one order");
    let order = s.place_order(partner, order(customer, &[("o365-g1-gcc", 1)], "")).instrument(root).await.unwrap();
    assert!(order.gcc_checked);

    // A server span ends just after its answer is sent; give the last one a moment.
    let mut spans = exporter.get_finished_spans().unwrap();
    for _ in 0..100 {
        if spans.iter().any(|s| s.name.as_ref() == "gcc.ordering.v1.OrderingService/PlaceOrder" && server(s)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        spans = exporter.get_finished_spans().unwrap();
    }
    let trace_of = |path: &str| {
        spans
            .iter()
            .filter(|s| s.name.as_ref() == path && server(s))
            .map(|s| s.span_context.trace_id())
            .collect::<Vec<_>>()
    };
    let ordering = trace_of("gcc.ordering.v1.OrderingService/PlaceOrder");
    let gate = trace_of("gcc.validation.v1.CustomerValidationService/CheckEligibility");
    let lookup = trace_of("gcc.partner.v1.PartnerEligibilityService/LookupTransactingPartner");
    assert_eq!(
        ordering.len(),
        1,
        "one PlaceOrder server span: {:?}",
        spans.iter().map(|s| s.name.clone()).collect::<Vec<_>>()
    );
    assert!(gate.contains(&ordering[0]), "the gate's span is in the order's trace");
    assert!(lookup.contains(&ordering[0]), "partner-eligibility's span is in the order's trace");
}
