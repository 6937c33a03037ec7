//! Traces as a trace viewer reads them: the services export over OTLP/gRPC to a receiver
//! (a TraceService server in this test, over TCP), and one order's trace holds ordering's,
//! the gate's (customer-validation), relationships' and partner-eligibility's spans, each
//! under its own `service.name`, with client spans for the calls between them and the
//! `rpc.*` attributes of the OpenTelemetry conventions. Its own test binary, because it
//! installs the process-wide subscriber.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gcc_e2e::steps::order;
use gcc_e2e::{Options, Stack};
use gcc_platform::telemetry::{self, LogFormat, TelemetryOptions};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tracing::Instrument;

/// What the receiver got.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// One received span, with the service it was sent under.
#[derive(Debug, Clone)]
struct Got {
    service: String,
    name: String,
    kind: i32,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    attributes: HashMap<String, String>,
}

fn text(attrs: &[KeyValue]) -> HashMap<String, String> {
    attrs
        .iter()
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some((kv.key.clone(), s.clone())),
            any_value::Value::IntValue(i) => Some((kv.key.clone(), i.to_string())),
            _ => None,
        })
        .collect()
}

fn received(r: &Receiver) -> Vec<Got> {
    let mut out = Vec::new();
    for req in r.0.lock().unwrap().iter() {
        for rs in &req.resource_spans {
            let resource = rs.resource.as_ref().map(|r| text(&r.attributes)).unwrap_or_default();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.push(Got {
                        service: service.clone(),
                        name: s.name.clone(),
                        kind: s.kind,
                        trace_id: s.trace_id.clone(),
                        span_id: s.span_id.clone(),
                        parent_span_id: s.parent_span_id.clone(),
                        attributes: text(&s.attributes),
                    });
                }
            }
        }
    }
    out
}

const PLACE: &str = "gcc.ordering.v1.OrderingService/PlaceOrder";
const GATE: &str = "gcc.validation.v1.CustomerValidationService/CheckEligibility";
const MANAGED: &str = "gcc.relationships.v1.RelationshipsService/CheckCustomerManagement";
const LOOKUP: &str = "gcc.partner.v1.PartnerEligibilityService/LookupTransactingPartner";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_is_one_trace_across_four_services_under_their_own_names() {
    // The receiver, over TCP.
    let receiver = Receiver::default();
    let listener = gcc_testkit::listener().await;
    let addr = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(incoming),
    );

    let services =
        [partner_eligibility::SERVICE, customer_validation::SERVICE, relationships::SERVICE, ordering::SERVICE];
    let telemetry = Arc::new(
        telemetry::init_with(TelemetryOptions {
            process: "gcc-e2e".into(),
            services: services.map(String::from).to_vec(),
            format: LogFormat::Text,
            otlp_endpoint: Some(format!("http://{addr}")),
            extra: None,
        })
        .expect("telemetry"),
    );
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    // No cached facts: the gate asks partner-eligibility and relationships during the order.
    let options =
        Options { postgres, validation_args: vec!["--fact-cache-ttl".into(), "0s".into()], ..Default::default() };
    let s = Stack::start(options).await.unwrap();
    let partner = s.gcc_partner().await;
    let customer = s.validated_customer(partner).await;

    let root = tracing::info_span!("place one order");
    let placed = s.place_order(partner, order(customer, &[("o365-g1-gcc", 1)], "")).instrument(root).await.unwrap();
    assert!(placed.gcc_checked);

    // Export what has ended, until the order's server span has arrived.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let spans = loop {
        let t = telemetry.clone();
        tokio::task::spawn_blocking(move || t.flush()).await.unwrap();
        let spans = received(&receiver);
        if spans.iter().any(|s| s.name == PLACE && s.kind == SpanKind::Server as i32) {
            break spans;
        }
        assert!(tokio::time::Instant::now() < deadline, "no PlaceOrder span reached the receiver: {spans:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let place = spans.iter().find(|s| s.name == PLACE && s.kind == SpanKind::Server as i32).unwrap();
    let trace: Vec<&Got> = spans.iter().filter(|s| s.trace_id == place.trace_id).collect();
    // The order's trace as a viewer draws it (`--nocapture` shows it).
    eprintln!("{}", tree(&trace));
    let find = |name: &str, kind: SpanKind, service: &str| {
        trace
            .iter()
            .find(|s| s.name == name && s.kind == kind as i32 && s.service == service)
            .copied()
            .unwrap_or_else(|| panic!("no {kind:?} span {name} of {service} in the order's trace: {trace:#?}"))
    };

    assert_eq!(place.service, "ordering");
    assert_eq!(place.attributes.get("rpc.system.name").map(String::as_str), Some("grpc"));
    assert_eq!(place.attributes.get("rpc.method").map(String::as_str), Some(PLACE));
    assert_eq!(place.attributes.get("rpc.response.status_code").map(String::as_str), Some("OK"));
    assert!(!place.attributes.contains_key("error.type"));
    // The service name is the resource's, not a span attribute.
    assert!(!place.attributes.contains_key("service.name"));

    // ordering calls the gate: its client span is the parent of the gate's server span.
    let gate_call = find(GATE, SpanKind::Client, "ordering");
    // Between them sit ordering's own spans for the dependency call (`facts.*`).
    let mut up = gate_call;
    while up.span_id != place.span_id {
        up = trace
            .iter()
            .find(|s| s.span_id == up.parent_span_id)
            .copied()
            .unwrap_or_else(|| panic!("the gate call is not under PlaceOrder: {trace:#?}"));
    }
    assert_ne!(gate_call.parent_span_id, Vec::<u8>::new());
    assert_eq!(gate_call.attributes.get("server.address").map(String::as_str), Some("127.0.0.1"));
    assert_eq!(gate_call.attributes.get("rpc.response.status_code").map(String::as_str), Some("OK"));
    let gate = find(GATE, SpanKind::Server, "customer-validation");
    assert_eq!(gate.parent_span_id, gate_call.span_id);

    // relationships answers ordering and the gate.
    let managed_call = find(MANAGED, SpanKind::Client, "ordering");
    let managed = trace
        .iter()
        .find(|s| s.name == MANAGED && s.kind == SpanKind::Server as i32 && s.parent_span_id == managed_call.span_id)
        .expect("relationships' span under ordering's call");
    assert_eq!(managed.service, "relationships");
    find(MANAGED, SpanKind::Client, "customer-validation");

    // The gate asks partner-eligibility.
    let lookup_call = find(LOOKUP, SpanKind::Client, "customer-validation");
    let lookup = find(LOOKUP, SpanKind::Server, "partner-eligibility");
    assert_eq!(lookup.parent_span_id, lookup_call.span_id);

    drop(s);
    server.abort();
}

/// The spans of one trace as an indented tree: `service  kind  name`, children under
/// their parent, the roots (whose parent is not in the trace) first.
fn tree(trace: &[&Got]) -> String {
    fn draw(trace: &[&Got], span: &Got, depth: usize, out: &mut String) {
        let kind = match SpanKind::try_from(span.kind) {
            Ok(SpanKind::Server) => "server",
            Ok(SpanKind::Client) => "client",
            _ => "internal",
        };
        out.push_str(&format!("{:indent$}{} [{}] {}\n", "", span.name, span.service, kind, indent = depth * 2));
        for child in trace.iter().filter(|c| c.parent_span_id == span.span_id) {
            draw(trace, child, depth + 1, out);
        }
    }
    let mut out = String::new();
    for root in trace.iter().filter(|s| !trace.iter().any(|p| p.span_id == s.parent_span_id)) {
        draw(trace, root, 0, &mut out);
    }
    out
}
