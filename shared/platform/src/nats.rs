//! Events for platform teams: each outbox event published to NATS JetStream as a
//! CloudEvent (JSON), on subject `<package>.<resource>.<kind>` (the event's topic, such
//! as `gcc.partner.v1.partner_validation.approved`), with the event ID as the JetStream
//! message ID so that the stream drops a re-delivered duplicate.

use anyhow::Context;
use async_nats::jetstream;
use chrono::{TimeZone, Utc};
use tokio::sync::OnceCell;

use crate::relay::OutboxEvent;

/// Publishes to one JetStream stream; connects on first use, so a service starts while
/// the broker is away (its events wait in the outbox).
pub struct NatsSink {
    url: String,
    stream: String,
    source: &'static str,
    context: OnceCell<jetstream::Context>,
}

impl NatsSink {
    pub fn new(url: &str, stream: &str, source: &'static str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            url.starts_with("nats://") || url.starts_with("tls://"),
            "--events-nats-url must be nats://host:port or tls://host:port, not {url:?}"
        );
        Ok(Self { url: url.to_owned(), stream: stream.to_owned(), source, context: OnceCell::new() })
    }

    async fn context(&self) -> anyhow::Result<&jetstream::Context> {
        self.context
            .get_or_try_init(|| async {
                let client =
                    async_nats::connect(&self.url).await.with_context(|| format!("connect to {}", self.url))?;
                let js = jetstream::new(client);
                ensure_stream(&js, &self.stream).await?;
                anyhow::Ok(js)
            })
            .await
    }

    /// Publishes `events` in order, each acknowledged by the stream before the next.
    pub async fn publish(&self, events: &[OutboxEvent]) -> anyhow::Result<()> {
        let js = self.context().await?;
        for e in events {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, e.id.as_str());
            headers.insert("Content-Type", "application/cloudevents+json");
            let body = serde_json::to_vec(&cloud_event(e, self.source))?;
            let ack = js.publish_with_headers(e.topic.clone(), headers, body.into()).await.context("publish")?;
            ack.await.context("stream acknowledgement")?;
        }
        Ok(())
    }
}

/// The stream for `gcc.>`, created if missing, with a two-minute duplicate window and a
/// week's retention.
pub async fn ensure_stream(js: &jetstream::Context, name: &str) -> anyhow::Result<()> {
    let config = jetstream::stream::Config {
        name: name.to_owned(),
        subjects: vec!["gcc.>".to_owned()],
        duplicate_window: std::time::Duration::from_secs(120),
        // Bounded: consumers that fall a week behind read the outbox's audit trail instead.
        max_age: std::time::Duration::from_secs(7 * 86_400),
        ..Default::default()
    };
    js.get_or_create_stream(config).await.with_context(|| format!("create or find stream {name}"))?;
    Ok(())
}

/// CloudEvents 1.0, structured JSON mode.
pub fn cloud_event(e: &OutboxEvent, source: &str) -> serde_json::Value {
    let time = Utc.timestamp_micros(e.created_at).single().map(|t| t.to_rfc3339()).unwrap_or_default();
    serde_json::json!({
        "specversion": "1.0",
        "id": e.id,
        "source": format!("//gcc/{source}"),
        "type": e.topic,
        "subject": e.aggregate,
        "time": time,
        "datacontenttype": "application/json",
        "data": e.payload,
    })
}
