//! `gccctl events tail` against the real NATS JetStream server on 127.0.0.1:4222: it
//! prints the CloudEvents published on the subjects it is asked for, and stops after
//! `--limit`.

use std::process::Command;
use std::time::Duration;

const NATS: &str = "nats://127.0.0.1:4222";

#[tokio::test]
async fn events_tail_prints_the_events_of_its_subject() {
    let js = async_nats::jetstream::new(async_nats::connect(NATS).await.expect("NATS at 127.0.0.1:4222"));
    gcc_platform::nats::ensure_stream(&js, "GCC_EVENTS").await.unwrap();
    let subject = format!("gcc.test.v1.t{}.changed", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    for n in 0..3 {
        let event =
            serde_json::json!({ "specversion": "1.0", "id": format!("e{n}"), "type": subject, "data": { "n": n } });
        js.publish(subject.clone(), serde_json::to_vec(&event).unwrap().into()).await.unwrap().await.unwrap();
    }
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_gccctl"))
                .args(["--json", "events", "tail", "--from-start", "--limit", "3", "--subject", &subject])
                .env("GCC_EVENTS_NATS_URL", NATS)
                .output()
                .expect("gccctl runs")
        }),
    )
    .await
    .expect("gccctl stops after --limit")
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event a line"))
        .collect();
    let ns: Vec<i64> = lines.iter().map(|e| e["data"]["n"].as_i64().unwrap()).collect();
    assert_eq!(ns, vec![0, 1, 2], "in order, each once");
}
