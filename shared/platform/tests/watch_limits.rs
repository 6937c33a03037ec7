//! The platform's Watch streams on their own: a client that stops reading is cut off
//! with SLOW_CONSUMER and frees its slot; a stream ends cleanly at its maximum lifetime.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use gcc_platform::TenantId;
use gcc_platform::events::{Hub, WatchLimits, Watched, Watchers, watch};
use gcc_testkit::assert_refused;
use tonic::Code;

#[derive(Clone, PartialEq, Debug)]
struct Thing {
    id: String,
    at: DateTime<Utc>,
    body: String,
}

impl Watched for Thing {
    fn key(&self) -> &str {
        &self.id
    }
    fn is_final(&self) -> bool {
        false
    }
    fn version(&self) -> DateTime<Utc> {
        self.at
    }
}

fn thing(n: i64) -> Thing {
    Thing { id: "t".into(), at: DateTime::from_timestamp(n, 0).unwrap(), body: "b".repeat(1000) }
}

fn limits(stall: Duration, lifetime: Duration) -> WatchLimits {
    WatchLimits { per_tenant: 2, total: 4, max_lifetime: lifetime, buffer: 2, stall_timeout: stall }
}

async fn until_released(watchers: &Watchers, tenant: TenantId) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while watchers.open(tenant) != (0, 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the slot is freed");
}

#[tokio::test]
async fn a_watcher_that_stops_reading_is_cut_off_with_slow_consumer() {
    let watchers = Watchers::new(limits(Duration::from_millis(100), Duration::from_secs(60)), "gcc.test.v1");
    let tenant = TenantId::random();
    let hub = Hub::new(1024);
    let slot = watchers.admit(tenant).unwrap();
    let mut stream = watch(slot, thing(0), hub.subscribe(), |_| async { Ok(None) }, |t: &Thing| t.body.clone());
    // The client reads nothing while changes keep coming: the buffer fills and stays full.
    for n in 1..50 {
        hub.publish(thing(n));
    }
    until_released(&watchers, tenant).await;
    let next = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap();
    let err = next.expect("an item").expect_err("the cut-off, before what was buffered");
    assert_refused(&err, Code::ResourceExhausted, "SLOW_CONSUMER");
    assert!(tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_stream_ends_cleanly_at_its_maximum_lifetime_and_limits_hold_meanwhile() {
    let watchers = Watchers::new(limits(Duration::from_secs(5), Duration::from_millis(300)), "gcc.test.v1");
    let tenant = TenantId::random();
    let hub: Hub<Thing> = Hub::new(16);
    let open = |w: &Watchers| {
        w.admit(tenant)
            .map(|slot| watch(slot, thing(0), hub.subscribe(), |_| async { Ok(None) }, |t: &Thing| t.id.clone()))
    };
    let mut first = open(&watchers).unwrap();
    let _second = open(&watchers).unwrap();
    let Err(refused) = open(&watchers) else { panic!("a third stream of one tenant") };
    assert_eq!(refused.reason, "WATCH_LIMIT_REACHED");
    let current = tokio::time::timeout(Duration::from_secs(5), first.next()).await.expect("the current state");
    assert_eq!(current.expect("an item").expect("not an error"), "t");
    // No change comes; the lifetime ends the stream without an error.
    let end = tokio::time::timeout(Duration::from_secs(5), first.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
    until_released(&watchers, tenant).await;
}
