//! Events that leave the process: a service started with `--events-nats-url` publishes
//! each committed change to the real NATS JetStream server on 127.0.0.1:4222.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use gcc_e2e::steps::order;
use gcc_e2e::{Options, Stack};

const NATS: &str = "nats://127.0.0.1:4222";

#[tokio::test]
async fn a_placed_order_reaches_jetstream_as_a_cloud_event() {
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    let events = vec!["--events-nats-url".to_owned(), NATS.to_owned(), "--outbox-poll".into(), "50ms".into()];
    let s = Stack::start(Options { postgres, ordering_args: events, ..Default::default() }).await.unwrap();
    let partner = s.gcc_partner().await;
    let customer = s.validated_customer(partner).await;

    // Follow new events before the order exists, so that it cannot be missed.
    let js = jetstream::new(async_nats::connect(NATS).await.expect("NATS at 127.0.0.1:4222"));
    gcc_platform::nats::ensure_stream(&js, "GCC_EVENTS").await.unwrap();
    let stream = js.get_stream("GCC_EVENTS").await.unwrap();
    let config = consumer::pull::OrderedConfig {
        filter_subject: "gcc.ordering.v1.order.placed".into(),
        deliver_policy: consumer::DeliverPolicy::New,
        ..Default::default()
    };
    let mut messages = stream.create_consumer(config).await.unwrap().messages().await.unwrap();

    let placed = s.place_order(partner, order(customer, &[("o365-g3-gcc", 2)], "")).await.unwrap();
    let started = Instant::now();
    let event = loop {
        let m = tokio::time::timeout(Duration::from_secs(10), messages.next()).await.expect("an event within 10 s");
        let m = m.expect("a message").expect("no stream error");
        let e: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        if e["subject"] == placed.name.as_str() {
            break e;
        }
    };
    println!("order event on JetStream {:.0} ms after the order was answered", started.elapsed().as_secs_f64() * 1e3);
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "gcc.ordering.v1.order.placed");
    assert_eq!(event["source"], "//gcc/gcc.ordering.v1");
    assert!(event["id"].as_str().is_some_and(|id| !id.is_empty()));
}
