//! The outbox relay against the real NATS JetStream server on 127.0.0.1:4222 and the
//! backend the run selected: every event once, as a CloudEvent, in commit order per
//! resource, duplicates dropped by the event ID, relayed rows marked and then pruned.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use gcc_platform::db::{Backend, Db};
use gcc_platform::nats::NatsSink;
use gcc_platform::relay::{Sink, prune, relay_once};
use gcc_testkit::{TestDb, count_rows};

const NATS: &str = "nats://127.0.0.1:4222";
const STREAM: &str = "GCC_EVENTS";

async fn open() -> (TestDb, Db) {
    let test = TestDb::fresh().await;
    let db = Db::connect(&test.url, 4, &sqlx::migrate::Migrator::DEFAULT).await.expect("open the test database");
    (test, db)
}

/// A topic no other test publishes on.
fn topic() -> String {
    format!("gcc.test.v1.t{}.changed", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Commits `n` events of `aggregate`, one transaction each, numbered in `data.n`.
async fn commit_events(db: &Db, topic: &str, aggregate: &str, n: usize) {
    for i in 0..n {
        let mut tx = db.begin().await.unwrap();
        let payload = serde_json::json!({ "n": i, "of": aggregate });
        gcc_platform::audit::emit(&mut tx, 1_000_000 + i as i64, topic, aggregate, &payload).await.unwrap();
        tx.commit().await.unwrap();
    }
}

fn sink() -> Sink {
    Sink::Nats(NatsSink::new(NATS, STREAM, "gcc.test.v1").expect("sink"))
}

/// Relays until a round finds nothing, within a bound.
async fn drain(db: &Db, sinks: &[Sink]) -> usize {
    let (mut total, started) = (0, Instant::now());
    loop {
        let n = relay_once(db, sinks).await.expect("a relay round");
        total += n;
        if n == 0 {
            return total;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the relay does not finish");
    }
}

/// Every message on `subject`, as (message ID header, CloudEvent).
async fn read(subject: &str) -> Vec<(String, serde_json::Value)> {
    let client = async_nats::connect(NATS).await.expect("NATS at 127.0.0.1:4222");
    let js = jetstream::new(client);
    let stream = js.get_stream(STREAM).await.expect("the events stream");
    let c = stream
        .create_consumer(consumer::pull::Config {
            filter_subject: subject.to_owned(),
            deliver_policy: consumer::DeliverPolicy::All,
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let mut out = Vec::new();
    let mut batch = c.fetch().max_messages(1000).expires(Duration::from_secs(1)).messages().await.expect("fetch");
    while let Some(m) = tokio::time::timeout(Duration::from_secs(5), batch.next())
        .await
        .expect("no stall")
        .transpose()
        .expect("a message")
    {
        let id = m
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        out.push((id, serde_json::from_slice(&m.payload).expect("a JSON CloudEvent")));
    }
    out
}

#[tokio::test]
async fn events_reach_nats_once_as_cloud_events_in_order_per_resource() {
    let (_t, db) = open().await;
    let topic = topic();
    for aggregate in ["things/a", "things/b", "things/a"] {
        commit_events(&db, &topic, aggregate, 3).await;
    }
    assert_eq!(drain(&db, &[sink()]).await, 9);
    let got = read(&topic).await;
    assert_eq!(got.len(), 9, "{got:?}");
    let mut seen = BTreeMap::<String, Vec<i64>>::new();
    for (msg_id, e) in &got {
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["type"], topic.as_str());
        assert_eq!(e["source"], "//gcc/gcc.test.v1");
        assert_eq!(&e["id"], msg_id.as_str(), "the event ID is the JetStream message ID");
        assert!(e["time"].as_str().is_some_and(|t| t.starts_with("1970-01-01T00:00:01")));
        seen.entry(e["subject"].as_str().unwrap().to_owned()).or_default().push(e["data"]["n"].as_i64().unwrap());
    }
    assert_eq!(seen["things/a"], vec![0, 1, 2, 0, 1, 2], "commit order within a resource");
    assert_eq!(seen["things/b"], vec![0, 1, 2]);
    assert_eq!(count_rows(&_t.url, "outbox WHERE published_at IS NULL").await, 0, "every row is marked relayed");
}

#[tokio::test]
async fn a_redelivered_event_is_dropped_by_its_id() {
    let (t, db) = open().await;
    let topic = topic();
    commit_events(&db, &topic, "things/x", 4).await;
    // A relay that died after publishing and before marking publishes again.
    let s = NatsSink::new(NATS, STREAM, "gcc.test.v1").unwrap();
    let rows: Vec<(String, String, String, String, i64)> =
        sqlx::query_as("SELECT id, topic, aggregate, payload, created_at FROM outbox ORDER BY id")
            .fetch_all(db.reader())
            .await
            .unwrap();
    let events: Vec<_> = rows
        .into_iter()
        .map(|(id, topic, aggregate, payload, created_at)| gcc_platform::relay::OutboxEvent {
            id,
            topic,
            aggregate,
            payload: serde_json::from_str(&payload).unwrap(),
            created_at,
        })
        .collect();
    s.publish(&events).await.unwrap();
    assert_eq!(drain(&db, &[Sink::Nats(s)]).await, 4);
    let got = read(&topic).await;
    let ids: HashSet<_> = got.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!((got.len(), ids.len()), (4, 4), "one message per event");
    assert_eq!(count_rows(&t.url, "outbox WHERE published_at IS NULL").await, 0);
}

#[tokio::test]
async fn without_a_broker_events_are_marked_and_then_pruned() {
    let (t, db) = open().await;
    let topic = topic();
    commit_events(&db, &topic, "things/y", 3).await;
    assert_eq!(drain(&db, &[]).await, 3);
    assert_eq!(count_rows(&t.url, "outbox WHERE published_at IS NOT NULL").await, 3);
    commit_events(&db, &topic, "things/y", 1).await;
    // Kept within the retention period, and never before they are relayed.
    assert_eq!(prune(&db, Duration::from_secs(3600)).await.unwrap(), 0);
    assert_eq!(prune(&db, Duration::ZERO).await.unwrap(), 3);
    assert_eq!(count_rows(&t.url, "outbox").await, 1, "the unrelayed event stays");
}

/// Commits `per` events for each of `aggregates` resources, interleaved, `per` commits of
/// one event per resource each.
async fn commit_interleaved(db: &Db, topic: &str, aggregates: usize, per: usize) {
    for round in 0..per {
        let mut tx = db.begin().await.unwrap();
        for a in 0..aggregates {
            let payload = serde_json::json!({ "n": round });
            gcc_platform::audit::emit(&mut tx, 1_000_000, topic, &format!("things/{a}"), &payload).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// Relays beside another relay until the outbox is empty: a round that finds nothing
/// claimable (the other relay holds every resource's next event) tries again.
async fn share(db: &Db, sinks: &[Sink]) -> usize {
    let (mut total, started) = (0, Instant::now());
    loop {
        let n = relay_once(db, sinks).await.expect("a relay round");
        total += n;
        if n == 0 {
            let left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(db.reader())
                .await
                .unwrap();
            if left.0 == 0 {
                return total;
            }
            tokio::task::yield_now().await;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the relays do not finish");
    }
}

#[tokio::test]
async fn two_relays_on_postgres_deliver_each_event_once_in_order() {
    let (_t, db) = open().await;
    if db.backend() != Backend::Postgres {
        return; // SQLite has one process and one relay.
    }
    let topic = topic();
    commit_interleaved(&db, &topic, 50, 20).await;
    let (one, two) = (sink(), sink());
    let started = Instant::now();
    let (a, b) = tokio::join!(share(&db, std::slice::from_ref(&one)), share(&db, std::slice::from_ref(&two)));
    let took = started.elapsed();
    assert_eq!(a + b, 1000, "each event claimed by one relay");
    println!(
        "relayed 1000 events to JetStream with 2 relays in {:.2} s: {:.0} events/s ({a} and {b})",
        took.as_secs_f64(),
        1000.0 / took.as_secs_f64()
    );
    let got = read(&topic).await;
    let ids: HashSet<_> = got.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!((got.len(), ids.len()), (1000, 1000));
    let mut last = BTreeMap::<String, String>::new();
    for (id, e) in &got {
        let subject = e["subject"].as_str().unwrap().to_owned();
        if let Some(prev) = last.insert(subject.clone(), id.clone()) {
            assert!(prev < *id, "{subject}: {prev} delivered before {id}");
        }
    }
}

/// Inserts a notification in `state`, settled (or last touched) `age_us` ago, with one
/// attempt recorded.
async fn notification(db: &Db, state: &str, age_us: i64) -> String {
    let id = format!("{}.0", uuid::Uuid::new_v4().simple());
    let at = gcc_platform::time::to_micros(chrono::Utc::now()) - age_us;
    let mut tx = db.begin().await.expect("begin");
    sqlx::query(
        "INSERT INTO notifications (id, event_id, kind, about, tenant, recipients, subject, body_text, body_html, \
         state, attempts, last_error, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $1, 'test', 'things/z', '', '{\"to\":[]}', 's', 't', 'h', $2, 1, NULL, $3, $3, $3)",
    )
    .bind(&id)
    .bind(state)
    .bind(at)
    .execute(&mut *tx)
    .await
    .expect("insert a notification");
    sqlx::query(
        "INSERT INTO notification_attempts (notification_id, attempt, at, outcome, detail) VALUES ($1, 1, $2, 'x', '')",
    )
    .bind(&id)
    .bind(at)
    .execute(&mut *tx)
    .await
    .expect("insert an attempt");
    tx.commit().await.expect("commit");
    id
}

#[tokio::test]
async fn settled_notifications_are_pruned_with_their_attempts_and_pending_ones_kept() {
    let (t, db) = open().await;
    let day = 86_400_000_000;
    for state in ["SENT", "LOGGED", "FAILED"] {
        notification(&db, state, 2 * day).await;
    }
    let pending = notification(&db, "PENDING", 2 * day).await;
    let recent = notification(&db, "SENT", 60_000_000).await;

    assert_eq!(gcc_platform::mail::prune(&db, Duration::from_secs(86_400)).await.unwrap(), 3);
    let left = |id: &str| format!("notifications WHERE id = '{id}'");
    assert_eq!(count_rows(&t.url, &left(&pending)).await, 1, "a pending notification is never pruned");
    assert_eq!(count_rows(&t.url, &left(&recent)).await, 1, "a recent one is kept");
    assert_eq!(count_rows(&t.url, "notifications").await, 2);
    assert_eq!(count_rows(&t.url, "notification_attempts").await, 2, "the pruned ones' attempts went with them");
}
