//! `gccctl events tail`: follows the events the services publish to NATS JetStream
//! (`--events-nats-url`), as CloudEvents, from now on or from the start of the stream.

use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use futures::StreamExt;

use super::Global;

#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Print each event as it is published (one JSON CloudEvent a line with --json).
    Tail {
        /// NATS server the services publish to.
        #[arg(long, env = "GCC_EVENTS_NATS_URL", default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// The JetStream stream of the events.
        #[arg(long, env = "GCC_EVENTS_STREAM", default_value = "GCC_EVENTS")]
        stream: String,
        /// Only these subjects, e.g. `gcc.partner.v1.>` or `gcc.ordering.v1.order.placed`.
        #[arg(long, default_value = "gcc.>")]
        subject: String,
        /// Replay the stream from its first event instead of starting now.
        #[arg(long)]
        from_start: bool,
        /// Stop after this many events (default: follow until interrupted).
        #[arg(long)]
        limit: Option<usize>,
    },
}

impl EventsCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let Self::Tail { nats_url, stream, subject, from_start, limit } = self;
        let client = async_nats::connect(&nats_url).await.with_context(|| format!("cannot reach {nats_url}"))?;
        let js = jetstream::new(client);
        let stream = js.get_stream(&stream).await.with_context(|| format!("no stream {stream} (no event yet?)"))?;
        let deliver_policy = if from_start { consumer::DeliverPolicy::All } else { consumer::DeliverPolicy::New };
        // An ordered consumer: ephemeral, in stream order, recreated by the client on a gap.
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: subject,
                deliver_policy,
                ..Default::default()
            })
            .await
            .context("cannot follow the stream")?;
        let mut messages = consumer.messages().await?;
        let mut seen = 0usize;
        while limit.is_none_or(|l| seen < l) {
            let Some(m) = messages.next().await else { break };
            let m = m.context("the stream broke off")?;
            let event: serde_json::Value = serde_json::from_slice(&m.payload)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&m.payload).into_owned()));
            if g.json {
                println!("{event}");
            } else {
                println!(
                    "{} {} {}\n  {}",
                    event["time"].as_str().unwrap_or(""),
                    event["type"].as_str().unwrap_or(&m.subject),
                    event["subject"].as_str().unwrap_or(""),
                    event["data"]
                );
            }
            seen += 1;
        }
        Ok(())
    }
}
