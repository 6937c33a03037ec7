//! `/metrics` over HTTP: the four servers each serve their own port; after orders placed
//! and refused and a gate check, the scrapes hold the RPC histograms of the OpenTelemetry
//! conventions and the domain metrics, with the right labels and counts, and
//! `promtool check metrics` accepts them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use gcc_e2e::steps::order;
use gcc_e2e::{Options, Stack};
use gcc_proto::types::OfferFamily;
use gcc_proto::validation as vpb;
use gcc_testkit::walk::admin;
use gcc_testkit::{assert_refused, authed, manual_clock};
use tonic::Code;

/// One sample line: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').expect("label=value");
                (k.to_owned(), v.trim_matches('"').to_owned())
            })
            .collect();
        out.push(Sample { name: name.to_owned(), labels, value: value.parse().expect("a number") });
    }
    out
}

/// The sum of the samples of `name` whose labels include `want`.
fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name && want.iter().all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v)))
        .map(|s| s.value)
        .sum()
}

fn series(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Vec<String> {
    samples
        .iter()
        .filter(|s| s.name == name && want.iter().all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v)))
        .map(|s| format!("{:?}", s.labels))
        .collect()
}

async fn scrape(addr: Option<SocketAddr>) -> String {
    let addr = addr.expect("the server serves /metrics");
    // What Prometheus asks for first: OpenMetrics.
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let response = client.get(&url).header("accept", accept).send().await.expect("scrape /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let openmetrics = response.text().await.expect("a body");
    assert!(openmetrics.contains("# UNIT rpc_server_call_duration_seconds seconds"), "{openmetrics}");
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
    // Anyone else: the classic text format.
    let response = client.get(&url).send().await.expect("scrape /metrics");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.text().await.expect("a body")
}

/// deploy/observability/metrics.txt: family → (type, label names).
fn contract() -> HashMap<String, (String, Vec<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/observability/metrics.txt");
    let text = std::fs::read_to_string(path).expect("the metrics contract");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (family, labels) = l.split_once('#').unwrap_or((l, ""));
            let mut f = family.split_whitespace();
            let (name, kind) = (f.next().unwrap().to_owned(), f.next().unwrap().to_owned());
            let labels = labels.split_whitespace().map(|w| w.split('(').next().unwrap().to_owned()).collect();
            (name, (kind, labels))
        })
        .collect()
}

/// Every family and label of a scrape is in the contract, with the contract's type.
fn assert_in_contract(text: &str) {
    let contract = contract();
    let mut types = HashMap::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let (name, kind) = line.split_once(' ').unwrap();
        let (want, _) = contract.get(name).unwrap_or_else(|| panic!("{name} is not in metrics.txt"));
        assert_eq!(kind, want, "the type of {name}");
        types.insert(name.to_owned(), kind.to_owned());
    }
    for s in parse(text) {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|x| s.name.strip_suffix(x).filter(|f| types.get(*f).is_some_and(|k| k == "histogram")))
            .unwrap_or(&s.name);
        let (_, labels) = &contract[family];
        for (k, _) in &s.labels {
            assert!(k == "le" || labels.contains(k), "{}: label {k} is not in metrics.txt", s.name);
        }
    }
}

/// `promtool check metrics` on a scrape. promtool comes from Debian's prometheus package,
/// which `tests/tools/install-promtool` installs when it is missing (once per run).
fn promtool_check(text: &str, what: &str) {
    use std::io::Write;
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/install-promtool");
        let status = std::process::Command::new(script).status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "promtool is needed to check the /metrics exposition, and {script} could not install it ({status:?}): \
             install Debian's prometheus package"
        );
    });
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to promtool");
    let out = child.wait_with_output().expect("promtool ran");
    assert!(
        out.status.success(),
        "promtool check metrics rejects the {what} scrape:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_calls_orders_and_verdicts_by_their_labels() {
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    let clock = manual_clock();
    let options = Options {
        postgres,
        metrics: true,
        clock: Some(Arc::new(clock.clone())),
        // Fresh facts: every gate check asks partner-eligibility and relationships.
        validation_args: vec!["--fact-cache-ttl".into(), "0s".into()],
        ..Default::default()
    };
    let s = Stack::start(options).await.unwrap();
    let partner = s.gcc_partner().await;
    let customer = s.validated_customer(partner).await;
    let unvalidated = s.customer_of(partner).await;

    // Two orders placed, one refused by the gate.
    for _ in 0..2 {
        s.place_order(partner, order(customer, &[("o365-g1-gcc", 1)], "")).await.unwrap();
    }
    let err = s.place_order(partner, order(unvalidated, &[("o365-g1-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED");
    // One gate check asked directly.
    let check = vpb::CheckEligibilityRequest {
        customer: format!("customers/{customer}"),
        offer_families: vec![OfferFamily::Office365 as i32],
        partner: String::new(),
    };
    let verdict = s.validation().check_eligibility(authed(check, &admin(partner))).await.unwrap().into_inner();
    assert!(verdict.eligible);
    // A validation waiting for a reviewer, past its due time once a week has gone by (R4).
    s.submitted(partner, partner, None).await;
    clock.advance(chrono::Duration::days(7));

    // ordering: its calls, its orders, its calls to the gate.
    let text = scrape(s.ordering.as_ref().unwrap().metrics_addr()).await;
    promtool_check(&text, "ordering");
    assert_in_contract(&text);
    let m = parse(&text);
    let place = [
        ("service", "ordering"),
        ("rpc_system_name", "grpc"),
        ("rpc_method", "gcc.ordering.v1.OrderingService/PlaceOrder"),
    ];
    let ok = [&place[..], &[("rpc_status_code", "OK")]].concat();
    assert_eq!(value(&m, "rpc_server_call_duration_seconds_count", &ok), 2.0, "{text}");
    let refused = [&place[..], &[("rpc_status_code", "FAILED_PRECONDITION")]].concat();
    assert_eq!(value(&m, "rpc_server_call_duration_seconds_count", &refused), 1.0, "{text}");
    // A refusal is the caller's matter: no error.type (the conventions set it for server faults).
    assert!(series(&m, "rpc_server_call_duration_seconds_count", &[("error_type", "FAILED_PRECONDITION")]).is_empty());
    // The advised buckets, cumulative, ending at +Inf.
    for le in ["0.005", "0.075", "10.0", "+Inf"] {
        let bucket = [&ok[..], &[("le", le)]].concat();
        assert_eq!(series(&m, "rpc_server_call_duration_seconds_bucket", &bucket).len(), 1, "le={le}: {text}");
    }
    assert_eq!(value(&m, "rpc_server_call_duration_seconds_bucket", &[&ok[..], &[("le", "+Inf")]].concat()), 2.0);
    assert_eq!(
        value(&m, "gcc_orders_total", &[("service", "ordering"), ("outcome", "placed"), ("reason", "none")]),
        2.0
    );
    assert_eq!(
        value(
            &m,
            "gcc_orders_total",
            &[("service", "ordering"), ("outcome", "refused"), ("reason", "GCC_ELIGIBILITY_REQUIRED")]
        ),
        1.0,
        "{text}"
    );
    let gate_calls = [
        ("service", "ordering"),
        ("rpc_method", "gcc.validation.v1.CustomerValidationService/CheckEligibility"),
        ("rpc_status_code", "OK"),
        ("server_address", "127.0.0.1"),
    ];
    assert_eq!(value(&m, "rpc_client_call_duration_seconds_count", &gate_calls), 3.0, "{text}");
    assert_eq!(value(&m, "gcc_dependency_errors_total", &[("service", "ordering")]), 0.0);
    assert_eq!(value(&m, "gcc_load_shed_total", &[("service", "ordering")]), 0.0);
    // The scrape reads the pool and the relay; nothing is being served now.
    assert_eq!(value(&m, "gcc_rpc_in_flight", &[("service", "ordering")]), 0.0, "{text}");
    assert!(!series(&m, "gcc_db_pool_connections", &[("service", "ordering"), ("state", "idle")]).is_empty());
    assert!(!series(&m, "gcc_outbox_relay_lag_seconds", &[("service", "ordering")]).is_empty(), "{text}");
    if gcc_testkit::backend() == "sqlite" {
        // Each placed order is one write batch, alone or grouped with others.
        assert!(value(&m, "gcc_db_write_batch_size_sum", &[("service", "ordering")]) >= 2.0, "{text}");
    }

    // customer-validation: the gate's verdicts, its own calls, its queue.
    let text = scrape(s.validation.as_ref().unwrap().metrics_addr()).await;
    promtool_check(&text, "customer-validation");
    assert_in_contract(&text);
    let m = parse(&text);
    let gate = [("service", "customer-validation")];
    assert_eq!(
        value(&m, "gcc_gate_verdicts_total", &[&gate[..], &[("eligible", "true"), ("reason", "none")]].concat()),
        3.0
    );
    assert_eq!(
        value(
            &m,
            "gcc_gate_verdicts_total",
            &[&gate[..], &[("eligible", "false"), ("reason", "CUSTOMER_NOT_VALIDATED")]].concat()
        ),
        1.0,
        "{text}"
    );
    let check = [
        ("service", "customer-validation"),
        ("rpc_method", "gcc.validation.v1.CustomerValidationService/CheckEligibility"),
        ("rpc_status_code", "OK"),
    ];
    assert_eq!(value(&m, "rpc_server_call_duration_seconds_count", &check), 4.0, "{text}");
    // Fresh facts: each check asked partner-eligibility.
    let lookups = [
        ("service", "customer-validation"),
        ("rpc_method", "gcc.partner.v1.PartnerEligibilityService/LookupTransactingPartner"),
    ];
    assert!(value(&m, "rpc_client_call_duration_seconds_count", &lookups) >= 4.0, "{text}");
    let queue = [("service", "customer-validation"), ("queue", "customer")];
    assert_eq!(value(&m, "gcc_validation_queue_depth", &queue), 1.0, "{text}");
    assert_eq!(value(&m, "gcc_validation_overdue", &queue), 1.0, "{text}");

    // partner-eligibility: its queue is empty (the partner was approved).
    let text = scrape(s.partner.as_ref().unwrap().metrics_addr()).await;
    promtool_check(&text, "partner-eligibility");
    assert_in_contract(&text);
    let m = parse(&text);
    let queue = [("service", "partner-eligibility"), ("queue", "partner")];
    assert_eq!(value(&m, "gcc_validation_queue_depth", &queue), 0.0, "{text}");
    assert!(!series(&m, "gcc_validation_overdue", &queue).is_empty(), "{text}");

    // A method no contract names is `_OTHER`, so that callers cannot add series.
    let ordering_addr = s.addrs.ordering;
    let mut raw = tonic::client::Grpc::new(gcc_testkit::channel(ordering_addr).await);
    raw.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/gcc.ordering.v1.OrderingService/NoSuchMethod");
    let answer: Result<tonic::Response<()>, _> =
        raw.unary(tonic::Request::new(()), path, tonic_prost::ProstCodec::<(), ()>::default()).await;
    // Without a token it is refused before the method is looked up.
    gcc_testkit::assert_refused(&answer.unwrap_err(), tonic::Code::Unauthenticated, "TOKEN_MISSING");
    let m = parse(&scrape(s.ordering.as_ref().unwrap().metrics_addr()).await);
    assert!(!series(&m, "rpc_server_call_duration_seconds_count", &[("rpc_method", "_OTHER")]).is_empty());
    assert!(series(&m, "rpc_server_call_duration_seconds_count", &[("rpc_method", "NoSuchMethod")]).is_empty());
}

#[tokio::test]
async fn the_endpoint_answers_only_get_metrics() {
    let registry = gcc_platform::metrics::MetricsRegistry::new();
    registry.service("ordering").order(true, "none");
    let endpoint =
        gcc_platform::metrics::MetricsEndpoint::bind("127.0.0.1:0".parse().unwrap(), registry).await.unwrap();
    let base = format!("http://{}", endpoint.local_addr());
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{base}/")).send().await.unwrap().status(), 404);
    assert_eq!(client.post(format!("{base}/metrics")).send().await.unwrap().status(), 405);
    let body = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("# TYPE gcc_orders_total counter"), "{body}");
    assert!(body.contains("gcc_orders_total{service=\"ordering\",outcome=\"placed\",reason=\"none\"} 1"), "{body}");
    assert!(!body.contains("# EOF"), "{body}");
}
