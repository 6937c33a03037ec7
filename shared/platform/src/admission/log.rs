//! Logs each call at a level chosen by who is at fault; it sits inside the ErrorInfo
//! repair so that the log shows what the framework or handler itself answered. Calls shed
//! at the concurrency limit are logged at debug one by one, and as one warning a second
//! with their count: a flood would otherwise write a line per refusal, at the moment the
//! server has the least time for it (`gcc_load_shed_total` counts every one).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tonic::Code;
use tower::Service;

use super::shed::ShedCall;
use super::step::{Response, Step, grpc_status};

#[derive(Debug, Default)]
pub struct Log {
    shed: Mutex<ShedCount>,
}

impl Step for Log {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let path = req.uri().path().to_owned();
        Box::pin(async move {
            let started = Instant::now();
            let response = inner.call(req).await?;
            let code = grpc_status(&response);
            let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
            if response.extensions().get::<ShedCall>().is_some() {
                tracing::debug!(path, elapsed_ms, "shed");
                let due = self.shed.lock().map(|mut count| count.add(started)).unwrap_or(None);
                if let Some((shed, secs)) = due {
                    tracing::warn!(shed, secs, last_path = path, "calls shed at the concurrency limit");
                }
                return Ok(response);
            }
            match code {
                Code::Ok => tracing::debug!(path, elapsed_ms, "ok"),
                Code::Internal | Code::Unknown | Code::DataLoss | Code::Unavailable => {
                    tracing::error!(path, elapsed_ms, code = ?code, "failed")
                }
                _ => tracing::info!(path, elapsed_ms, code = ?code, "refused"),
            }
            Ok(response)
        })
    }
}

/// Shed calls since the last warning, which is due at most once a second.
#[derive(Debug, Default)]
struct ShedCount {
    since: u64,
    last_warned: Option<Instant>,
}

const WARN_EVERY: Duration = Duration::from_secs(1);

impl ShedCount {
    /// Counts a call shed at `now`; when a warning is due, the calls it covers (this one
    /// included) and the seconds since the last warning (0 for the first).
    fn add(&mut self, now: Instant) -> Option<(u64, f64)> {
        self.since += 1;
        let secs = match self.last_warned {
            Some(at) if now.saturating_duration_since(at) < WARN_EVERY => return None,
            Some(at) => now.saturating_duration_since(at).as_secs_f64(),
            None => 0.0,
        };
        self.last_warned = Some(now);
        Some((std::mem::take(&mut self.since), secs))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;

    /// Every event's level and message.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<(tracing::Level, String)>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0.lock().unwrap().push((*event.metadata().level(), m.0));
        }
    }

    /// Runs `answers` through the log step, one call each, and gives what was logged.
    fn logged(answers: Vec<fn() -> Response>) -> Vec<(tracing::Level, String)> {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry().with(seen.clone());
        tracing::subscriber::with_default(subscriber, || {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let log = Arc::new(Log::default());
                for answer in answers {
                    let inner =
                        tower::service_fn(move |_: http::Request<()>| async move { Ok::<_, Infallible>(answer()) });
                    log.clone().run(http::Request::new(()), inner).await.unwrap();
                }
            })
        });
        seen.0.lock().unwrap().clone()
    }

    #[test]
    fn a_flood_of_shed_calls_is_one_warning_and_other_refusals_stay_at_info() {
        let shed: fn() -> Response = || super::super::shed::refusal("test");
        let refused: fn() -> Response = || tonic::Status::resource_exhausted("page too large").into_http();
        let events = logged(vec![shed, shed, shed, refused]);
        let loud: Vec<_> = events.iter().filter(|(level, _)| *level <= tracing::Level::INFO).collect();
        assert_eq!(
            loud,
            [
                &(tracing::Level::WARN, "calls shed at the concurrency limit".to_owned()),
                &(tracing::Level::INFO, "refused".to_owned())
            ],
            "{events:?}"
        );
        let quiet = events.iter().filter(|e| *e == &(tracing::Level::DEBUG, "shed".to_owned())).count();
        assert_eq!(quiet, 3, "{events:?}");
    }

    #[test]
    fn shed_calls_are_warned_of_once_a_second_with_their_count() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut count = ShedCount::default();
        // The first refusal is told at once, so that the start of shedding shows.
        assert_eq!(count.add(at(0)), Some((1, 0.0)));
        // Within the second: counted, not told.
        for ms in [1, 200, 999] {
            assert_eq!(count.add(at(ms)), None);
        }
        // The next refusal after a second tells the three above and itself.
        assert_eq!(count.add(at(1_000)), Some((4, 1.0)));
        assert_eq!(count.add(at(1_500)), None);
        // After a quiet spell, the first one tells at once again, with the one held over.
        assert_eq!(count.add(at(9_000)), Some((2, 8.0)));
    }
}
