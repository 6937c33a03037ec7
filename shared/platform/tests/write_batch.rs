//! `Db::apply` and `idempotency::apply` on the backend the run selected: a batch is
//! written whole or not at all, concurrent batches (committed in groups on SQLite) fail
//! alone, and a request id writes once however many calls race with it.

use gcc_platform::Problem;
use gcc_platform::db::{Db, Statement, WriteBatch, is_unique_violation};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_testkit::{TestDb, count_rows};
use tonic::Code;

/// Enough connections that the 48 racing calls below pass through the pool in three rounds,
/// well within PostgreSQL's half-second wait for a connection even on a slow machine (with
/// 4 they took twelve, and one run timed out waiting).
const CONNECTIONS: u32 = 16;

async fn open() -> (TestDb, Db) {
    let test = TestDb::fresh().await;
    let db =
        Db::connect(&test.url, CONNECTIONS, &sqlx::migrate::Migrator::DEFAULT).await.expect("open the test database");
    (test, db)
}

fn event(id: &str) -> Statement {
    Statement::new(
        "INSERT INTO outbox (id, topic, aggregate, payload, created_at, published_at) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(id.to_owned())
    .bind("test.event")
    .bind(format!("things/{id}"))
    .bind("{}")
    .bind(1_i64)
}

fn audit(id: &str) -> Statement {
    Statement::new(
        "INSERT INTO audit_log (id, at, actor_subject, actor_tenant, action, target, outcome, detail, trace_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_owned())
    .bind(1_i64)
    .bind("subject")
    .bind("tenant")
    .bind("thing.make")
    .bind(format!("things/{id}"))
    .bind("ok")
    .bind("{}")
    .bind("")
}

/// An event and its audit entry, and optionally an event whose id is already taken.
fn batch(id: &str, collide_with: Option<&str>) -> WriteBatch {
    let mut batch = WriteBatch::new();
    batch.push(event(id)).push(audit(id));
    if let Some(taken) = collide_with {
        batch.push(event(taken));
    }
    batch
}

#[tokio::test]
async fn a_batch_is_written_whole_or_not_at_all() {
    let (test, db) = open().await;
    db.apply(batch("a", None)).await.expect("a clean batch is written");
    assert_eq!(count_rows(&test.url, "outbox").await, 1);
    assert_eq!(count_rows(&test.url, "audit_log").await, 1);

    // Its last statement fails, so its first two are not written either.
    let err = db.apply(batch("b", Some("a"))).await.expect_err("a colliding batch fails");
    assert!(is_unique_violation(&err), "the failure is the collision: {err}");
    assert_eq!(count_rows(&test.url, "outbox").await, 1);
    assert_eq!(count_rows(&test.url, "audit_log").await, 1);

    // And the database takes the next batch as usual.
    db.apply(batch("c", None)).await.expect("the writer goes on after a failed batch");
    assert_eq!(count_rows(&test.url, "outbox WHERE id = 'c'").await, 1);
    assert_eq!(count_rows(&test.url, "audit_log").await, 2);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_fail_alone() {
    let (test, db) = open().await;
    db.apply(batch("taken", None)).await.unwrap();

    // Every fourth batch collides; on SQLite they race into the same group commits.
    let calls = (0..48).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let collide = (i % 4 == 3).then_some("taken");
            (i, db.apply(batch(&format!("n{i}"), collide)).await)
        })
    });
    let outcomes = futures::future::join_all(calls).await;
    for outcome in outcomes {
        let (i, result) = outcome.expect("task");
        match result {
            Ok(()) => assert_ne!(i % 4, 3, "batch {i} collides and must fail"),
            Err(e) => assert!(i % 4 == 3 && is_unique_violation(&e), "batch {i} failed: {e}"),
        }
    }
    assert_eq!(count_rows(&test.url, "outbox").await, 1 + 36);
    assert_eq!(count_rows(&test.url, "audit_log").await, 1 + 36);
    for i in (3..48).step_by(4) {
        assert_eq!(count_rows(&test.url, &format!("audit_log WHERE id = 'n{i}'")).await, 0, "batch {i} left a row");
    }
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_writes_once_however_many_calls_race() {
    let (test, db) = open().await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let key = |body: &str| IdempotencyKey::new("tenant", "Make", &request_id, &body.to_owned()).unwrap();

    let calls = (0..16).map(|i| {
        let db = db.clone();
        let key = key("thing");
        tokio::spawn(async move {
            // Each call would write other rows; only the first may.
            let answer = format!("answer {i}");
            idempotency::apply::<String, Problem>(&db, key.as_ref(), 1, batch(&format!("r{i}"), None), answer).await
        })
    });
    let outcomes: Vec<(String, bool)> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("every call answers"))
        .collect();
    let first: Vec<_> = outcomes.iter().filter(|(_, wrote)| *wrote).collect();
    assert_eq!(first.len(), 1, "exactly one call writes");
    assert!(outcomes.iter().all(|(answer, _)| answer == &first[0].0), "every call gets the first answer");
    assert_eq!(count_rows(&test.url, "idempotency").await, 1);
    assert_eq!(count_rows(&test.url, "outbox").await, 1);
    assert_eq!(count_rows(&test.url, "audit_log").await, 1);

    // The same id with another body is refused and writes nothing.
    let reused = idempotency::apply::<String, Problem>(&db, key("other").as_ref(), 1, batch("x", None), "x".into())
        .await
        .expect_err("another body under the same id");
    assert_eq!((reused.code, reused.reason), (Code::AlreadyExists, "REQUEST_ID_REUSED"));
    assert_eq!(count_rows(&test.url, "outbox").await, 1);
    db.close().await;
}

/// A managed PostgreSQL that requires TLS is reachable (`sslmode=require`; the local
/// server's certificate is self-signed for its host name, so `verify-full` against
/// 127.0.0.1 cannot be shown here).
#[tokio::test]
async fn postgres_is_reached_over_tls_when_the_url_requires_it() {
    let test = TestDb::fresh().await;
    if !test.url.starts_with("postgres") {
        return;
    }
    let url = format!("{}?sslmode=require", test.url);
    let db = Db::connect(&url, 2, &sqlx::migrate::Migrator::DEFAULT).await.expect("connect with sslmode=require");
    let ssl: (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(db.reader())
        .await
        .expect("read the connection's TLS state");
    assert!(ssl.0, "the connection is encrypted");
}
