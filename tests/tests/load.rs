//! `gcc-load` end to end: a short run of every journey against the in-process stack (on
//! PostgreSQL when `GCC_TEST_POSTGRES_URL` is set), and the report's fields. These check
//! what the harness writes, never how fast anything was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gcc-load");

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-load-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a report directory");
    dir
}

/// Runs gcc-load with `args` (and the PostgreSQL server of the test environment).
fn gcc_load(args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("GCC_LOAD_POSTGRES_URL");
    if let Ok(url) = std::env::var(gcc_testkit::POSTGRES_ENV) {
        cmd.args(["--postgres", &url]);
    }
    let out = cmd.output().expect("run gcc-load");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn row<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows}"))
}

#[test]
fn every_journey_runs_in_open_loop_and_the_report_has_its_fields() {
    let dir = out_dir("smoke");
    let out = gcc_load(&[
        "run",
        "--mix",
        "all",
        "--rate",
        "40",
        "--warmup",
        "0s",
        "--duration",
        "3s",
        "--deadline",
        "10s",
        "--out",
        dir.to_str().unwrap(),
        // One objective met and one that no run can meet: the exit status says breach.
        "--slo",
        "PlaceOrder:errors<0.1%,HealthCheck:max<0ms",
    ]);
    assert_eq!(out.status.code(), Some(2), "a breached objective exits with 2");
    let r = report(&dir);

    assert_eq!(r["tool"], "gcc-load");
    assert!(r["mode"].as_str().unwrap().starts_with("open loop: 40/s"), "{}", r["mode"]);
    assert_eq!(r["measured_s"], 3.0);
    assert_eq!(r["deadline_ms"], 10000.0);
    assert_eq!(r["data"]["partners"], 4);
    assert_eq!(r["data"]["customers"], 40);
    let phases: Vec<&str> =
        r["data"]["phases"].as_array().unwrap().iter().map(|p| p["via"].as_str().unwrap()).collect();
    assert!(phases.iter().all(|v| *v == "public RPCs"), "{phases:?}");

    // Every journey ran, and each ended as the source document says it should.
    let journeys = [
        "health",
        "gate-validated",
        "gate-pending",
        "gate-unmanaged",
        "order-gcc",
        "order-commercial",
        "order-refused",
        "list-get",
        "onboarding",
        "invitation",
        "watch",
    ];
    for name in journeys {
        let j = row(&r["journeys"], name);
        assert!(j["attempted"].as_u64().unwrap() > 0, "{name} never ran: {j}");
        // A busy machine may shed or time calls out; nothing else may go wrong.
        assert!(j["ok"].as_u64().unwrap() > 0, "{name}: {j}");
        assert_eq!(j["statuses"]["OK"], j["ok"], "{name}: {j}");
        let counted: u64 = j["statuses"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(counted, j["attempted"].as_u64().unwrap(), "{name}: {j}");
        assert_eq!(j["ok"].as_u64().unwrap() + j["errors"].as_u64().unwrap(), counted, "{name}: {j}");
        for status in j["statuses"].as_object().unwrap().keys().filter(|k| *k != "OK") {
            assert!(
                ["DEADLINE_EXCEEDED", "CANCELLED", "RESOURCE_EXHAUSTED", "UNAVAILABLE"]
                    .iter()
                    .any(|c| status.contains(c)),
                "{name}: {status}"
            );
        }
        for q in ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"] {
            assert!(j[q].as_f64().unwrap() > 0.0, "{name}.{q}: {j}");
        }
        assert!(j["p50_ms"].as_f64() <= j["p99_ms"].as_f64() && j["p99_ms"].as_f64() <= j["max_ms"].as_f64());
        assert!(j["attempted_per_s"].as_f64().unwrap() > 0.0);
    }
    let total = &r["total"];
    assert_eq!(total["attempted"].as_u64().unwrap(), 120, "40/s for 3 s: {total}");

    // Refusals the journeys expect show with their code and reason, and count as met.
    let place = row(&r["rpcs"], "PlaceOrder");
    assert!(place["statuses"]["FAILED_PRECONDITION GCC_ELIGIBILITY_REQUIRED"].as_u64().unwrap() > 0, "{place}");
    let gate = row(&r["rpcs"], "CheckEligibility");
    assert!(gate["statuses"]["NOT_FOUND CUSTOMER_NOT_FOUND"].as_u64().unwrap() > 0, "{gate}");
    for rpc in [
        "HealthCheck",
        "CheckEligibility",
        "PlaceOrder",
        "ListOrders",
        "GetOrder",
        "ListSubscriptions",
        "GetCustomer",
        "EnrollPartner",
        "SubmitPartnerValidation",
        "ApprovePartnerValidation",
        "CreateCustomer",
        "SubmitCustomerValidation",
        "ApproveCustomerValidation",
        "ApplyValidationCode",
        "CreateRelationshipRequest",
        "AcceptRelationshipRequest",
        "WatchCustomerValidation",
    ] {
        assert!(row(&r["rpcs"], rpc)["attempted"].as_u64().unwrap() > 0, "{rpc} never called");
    }

    // One row a second, and the objectives judged.
    let timeline = r["timeline"].as_array().unwrap();
    assert!((3..=4).contains(&timeline.len()), "{timeline:?}");
    assert_eq!(timeline[0]["aimed_per_s"], 40.0);
    let started: u64 = timeline.iter().map(|s| s["started"].as_u64().unwrap()).sum();
    assert_eq!(started, 120);
    let slo = r["slo"].as_array().unwrap();
    assert_eq!(slo.len(), 2);
    assert_eq!((&slo[0]["objective"], &slo[0]["met"]), (&Value::from("PlaceOrder:errors<0.1%"), &Value::from(true)));
    assert_eq!((&slo[1]["objective"], &slo[1]["met"]), (&Value::from("HealthCheck:max<0ms"), &Value::from(false)));

    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(csv.starts_with("kind,name,attempted,ok,errors,error_ratio,attempted_per_s,achieved_per_s,p50_ms"));
    assert!(csv.lines().any(|l| l.starts_with("journey,order-refused,")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("rpc,PlaceOrder,")), "{csv}");
    let timeline_csv = std::fs::read_to_string(dir.join("timeline.csv")).unwrap();
    assert_eq!(timeline_csv.lines().count(), timeline.len() + 1);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 3, "three plots");
    assert!(!html.contains("could not be drawn"));
    assert!(!html.contains("<script") && !html.contains("src="), "the page loads nothing");
    assert!(html.contains("BREACHED"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn closed_loop_keeps_n_in_flight_and_says_so() {
    let dir = out_dir("closed");
    let out = gcc_load(&[
        "run",
        "--mix",
        "checkout",
        "--closed",
        "4",
        "--warmup",
        "0s",
        "--duration",
        "1s",
        "--out",
        dir.to_str().unwrap(),
        "--slo",
        "rate>0",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let r = report(&dir);
    assert!(r["mode"].as_str().unwrap().starts_with("closed loop: 4 in flight"), "{}", r["mode"]);
    assert!(r["total"]["ok"].as_u64().unwrap() > 0);
    let mix: Vec<&str> = r["mix"].as_array().unwrap().iter().map(|m| m["journey"].as_str().unwrap()).collect();
    assert_eq!(
        mix,
        [
            "gate-validated",
            "order-gcc",
            "order-commercial",
            "order-refused",
            "gate-pending",
            "gate-unmanaged",
            "list-get"
        ]
    );
    assert_eq!(r["slo"][0]["met"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `gcc-load knee` with `args` and gives its first knee from knee.json and its stdout.
fn run_knee(args: &[&str]) -> (Value, String) {
    let dir = out_dir("knee");
    let mut all = vec!["knee"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--seed-concurrency", "1", "--out", dir.to_str().unwrap()]);
    let out = gcc_load(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    let text = std::fs::read_to_string(dir.join("knee.json")).expect("knee.json");
    let k: Value = serde_json::from_str(&text).expect("knee.json is JSON");
    let _ = std::fs::remove_dir_all(&dir);
    (k["knees"][0].clone(), stdout)
}

/// One knee step of 10 gate checks a second (which holds a 5 s p99), then `then`.
fn ten_checks_a_second_then(then: &[&str]) -> (Value, String) {
    let mut args = vec!["--journey", "gate-validated", "--p99", "5s", "--from", "10", "--max-steps", "1"];
    args.extend_from_slice(&["--step", "2s", "--no-bare"]);
    args.extend_from_slice(then);
    run_knee(&args)
}

/// The knee's steps, then the overload step past it: with a concurrency limit of 1 on the
/// gate's server, 10 checks a second (one every 100 ms, each well under a millisecond)
/// do not overlap, while 3,000 a second (one every 333 µs, closer together than a check
/// takes end to end) cannot all run one at a time, so that step sees
/// calls shed, each with `RetryInfo`, and says so. (10,000 a second flooded a slow machine
/// until connections were reset, whose failures carry no `RetryInfo`.)
#[test]
fn knee_steps_up_then_the_overload_step_counts_shed_calls_and_their_retry_info() {
    let (knee, stdout) = ten_checks_a_second_then(&["--overload", "300", "--concurrency-limit", "1"]);
    assert_eq!(knee["journey"], "gate-validated");
    assert_eq!(knee["knee_per_s"], 10.0, "{knee}");
    assert_eq!(knee["steps"][0]["held"], true, "{knee}");
    let o = &knee["overload"];
    assert_eq!(o["aimed_per_s"], 3000.0, "{o}");
    assert!(o["shed_per_s"].as_f64().unwrap() > 0.0, "nothing was shed: {o}");
    assert_eq!(o["shed_with_retry_info"], 1.0, "{o}");
    let shed = o["statuses"]["CheckEligibility: RESOURCE_EXHAUSTED OVERLOADED"].as_u64().unwrap_or(0);
    assert!(shed > 0, "{o}");
    assert!(o["admitted_per_s"].as_f64().unwrap() > 0.0, "{o}");
    assert!(stdout.contains("overload: 300x the knee"), "{stdout}");
}

/// Below the first step the search halves the rate instead of stopping there: with a p99
/// bound no call can meet, every step fails, from 8/s down to the lowest rate, 1/s.
#[test]
fn a_knee_search_whose_first_step_fails_halves_the_rate_down_to_one_per_second() {
    let (knee, stdout) = run_knee(&[
        "--journey",
        "gate-validated",
        "--p99",
        "0ms",
        "--from",
        "8",
        "--retries",
        "0",
        "--step",
        "2s",
        "--overload",
        "0",
        "--no-bare",
    ]);
    assert_eq!(knee["knee_per_s"], Value::Null, "{knee}");
    let steps = knee["steps"].as_array().expect("steps");
    let aimed: Vec<f64> = steps.iter().map(|s| s["aimed_per_s"].as_f64().unwrap()).collect();
    assert_eq!(aimed, [8.0, 4.0, 2.0, 1.0], "{knee}");
    assert!(steps.iter().all(|s| s["held"] == false), "{knee}");
    assert!(stdout.contains("knee of gate-validated: below 1.0/s (no step held)"), "{stdout}");
}

/// An overload step that sheds nothing reports no shed latency and no share with
/// `RetryInfo` (rather than 0 ms and 100 %), and holds on its admitted p99 alone: at
/// 1.5 times 10 checks a second nothing reaches the servers' limit.
#[test]
fn an_overload_step_that_sheds_nothing_reports_no_shed_figures() {
    let (knee, stdout) = ten_checks_a_second_then(&["--overload", "1.5"]);
    let o = &knee["overload"];
    assert_eq!(o["aimed_per_s"], 15.0, "{o}");
    assert_eq!(o["shed_per_s"], 0.0, "{o}");
    for field in ["shed_p50_ms", "shed_p99_ms", "shed_max_ms", "shed_with_retry_info"] {
        assert_eq!(o[field], Value::Null, "{field}: {o}");
    }
    assert_eq!(o["held"], true, "{o}");
    assert!(stdout.contains("| 0 | - | - | - | - | yes |"), "{stdout}");
}

/// `--mix` steps a mix's total rate: the knee is named by the mix, each step says which
/// of its journeys was the slowest (the one the bound applies to), and both journeys ran.
#[test]
fn a_knee_of_a_mix_steps_every_journey_of_it_and_names_the_slowest() {
    let mix = "gate-validated=1,order-commercial=1";
    let (knee, stdout) = run_knee(&[
        "--mix",
        mix,
        "--p99",
        "5s",
        "--from",
        "10",
        "--max-steps",
        "1",
        "--step",
        "2s",
        "--overload",
        "1.5",
        "--no-bare",
    ]);
    assert_eq!(knee["journey"], mix, "{knee}");
    assert_eq!(knee["knee_per_s"], 10.0, "{knee}");
    let step = &knee["steps"][0];
    assert_eq!(step["errors"], 0, "{knee}");
    let slowest = step["slowest"].as_str().expect("slowest");
    assert!(["gate-validated", "order-commercial"].contains(&slowest), "{knee}");
    assert!(step["p99_ms"].as_f64().unwrap() >= step["p50_ms"].as_f64().unwrap(), "{knee}");
    for journey in ["gate-validated", "order-commercial"] {
        assert!(step["by_journey"][journey].as_f64().unwrap_or(0.0) > 0.0, "{journey} did not run: {knee}");
    }
    assert!(stdout.contains(&format!("| {slowest} | 0 | yes |")), "{stdout}");
    assert!(stdout.contains(&format!("knee of {mix}: 10/s")), "{stdout}");
    // The overload step's outcomes are every journey's together: both journeys expect
    // OK, so its OK count is every journey admitted over the 2 s step, not one journey's.
    let o = &knee["overload"];
    let ok = o["statuses"]["OK"].as_f64().unwrap_or(0.0);
    let admitted = o["admitted_per_s"].as_f64().unwrap() * 2.0;
    assert!((ok - admitted).abs() < 1.5, "OK {ok} against {admitted} admitted: {o}");
}

#[test]
fn bad_flags_are_refused_before_anything_starts() {
    for (args, says) in [
        (&["run", "--mix", "nonsense"][..], "unknown journey \"nonsense\""),
        (&["knee", "--mix", "gate-validated=1,nonsense=2"][..], "unknown journey \"nonsense\""),
        (&["run", "--stages", "30s"][..], "--stages: DURATION:RATE"),
        (&["run", "--slo", "PlaceOrder:p98<5ms"][..], "unknown metric \"p98\""),
        (&["run", "--rate", "0"][..], "--rate: above 0"),
        (&["seed", "--partners", "4", "--customers", "5"][..], "at least 5 per partner"),
    ] {
        let out = Command::new(BIN).args(args).output().expect("run gcc-load");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// The method names in deploy/loadtest's ghz configs and k6 script.
fn loadtest_methods() -> std::collections::BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/loadtest");
    let mut methods = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir.join("ghz")).expect("deploy/loadtest/ghz") {
        let path = entry.expect("an entry").path();
        let config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("a JSON config");
        let call = config["call"].as_str().unwrap_or_else(|| panic!("{} has no call", path.display()));
        // ghz names a method `package.Service.Method`.
        let (service, method) = call.rsplit_once('.').expect("package.Service.Method");
        methods.insert(format!("{service}/{method}"));
    }
    let script = std::fs::read_to_string(dir.join("k6/journeys.js")).expect("the k6 script");
    for (at, _) in script.match_indices("gcc.") {
        let name: String =
            script[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_')).collect();
        if name.contains("Service/") {
            methods.insert(name);
        }
    }
    methods
}

/// `package.Service/Method` for every method each server lists through reflection.
async fn reflected_methods(addr: std::net::SocketAddr) -> std::collections::BTreeSet<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    let mut client = ServerReflectionClient::new(gcc_testkit::channel(addr).await);
    async fn ask(
        client: &mut ServerReflectionClient<tonic::transport::Channel>,
        request: MessageRequest,
    ) -> ServerReflectionResponse {
        let req = ServerReflectionRequest { host: String::new(), message_request: Some(request) };
        let mut stream =
            client.server_reflection_info(futures::stream::iter(vec![req])).await.expect("reflection").into_inner();
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
            .await
            .expect("reflection answers in time")
            .expect("a reflection response")
            .expect("a message")
    }
    let listed = ask(&mut client, MessageRequest::ListServices(String::new())).await;
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("no service list: {listed:?}")
    };
    let mut methods = std::collections::BTreeSet::new();
    for service in list.service {
        let answer = ask(&mut client, MessageRequest::FileContainingSymbol(service.name.clone())).await;
        let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
            panic!("no descriptor for {}: {answer:?}", service.name)
        };
        for bytes in files.file_descriptor_proto {
            let file =
                <prost_types::FileDescriptorProto as prost::Message>::decode(bytes.as_slice()).expect("a descriptor");
            for s in &file.service {
                let full = format!("{}.{}", file.package(), s.name());
                if full == service.name {
                    methods.extend(s.method.iter().map(|m| format!("{full}/{}", m.name())));
                }
            }
        }
    }
    methods
}

#[tokio::test]
async fn the_loadtest_configs_call_methods_the_servers_reflect() {
    let stack = gcc_e2e::Stack::start(gcc_e2e::Options {
        postgres: std::env::var(gcc_testkit::POSTGRES_ENV).ok(),
        ..Default::default()
    })
    .await
    .expect("the stack");
    let a = stack.addrs;
    let mut served = std::collections::BTreeSet::new();
    for addr in [a.partner, a.relationships, a.validation, a.ordering] {
        served.extend(reflected_methods(addr).await);
    }
    assert!(served.contains("grpc.health.v1.Health/Check"), "{served:?}");
    let used = loadtest_methods();
    for m in
        ["gcc.validation.v1.CustomerValidationService/CheckEligibility", "gcc.ordering.v1.OrderingService/PlaceOrder"]
    {
        assert!(used.contains(m), "the configs drive {m}: {used:?}");
    }
    let unknown: Vec<&String> = used.iter().filter(|m| !served.contains(*m)).collect();
    assert!(unknown.is_empty(), "deploy/loadtest calls methods no server offers: {unknown:?}");
}

/// `bench` is the closed loop that `gcc-bench` was: each row beside the bare RPC of the
/// same run, and its ratio.
#[test]
fn the_closed_loop_bench_prints_each_row_beside_the_bare_rpc() {
    let out = gcc_load(&["bench", "gate", "--warmup", "0s", "--duration", "1s", "--in-flight", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("gcc-load bench: "), "{text}");
    let row = text.lines().find(|l| l.starts_with("| 2 |")).expect("the row at 2 in flight");
    // | in flight | bare/s | bare p99 | calls/s | p50 | p99 | p99.9 | errors | calls ÷ bare |
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[8], "0", "no errors: {row}");
    let (calls, ratio): (f64, f64) = (cells[4].parse().unwrap(), cells[9].parse().unwrap());
    assert!(calls > 0.0 && ratio > 0.0 && ratio < 1.5, "{row}");
}
