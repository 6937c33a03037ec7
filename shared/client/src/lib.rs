//! Typed clients for the GCC services. Every call carries the caller's bearer token, the
//! current trace context and a deadline; reads may be retried on UNAVAILABLE with
//! backoff, mutations never are (unless they carry a `request_id`).

pub mod dependency;
pub mod observe;
pub mod retry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use gcc_core::trace::inject_trace_context;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// Adds the token, the trace context and the deadline to every call.
#[derive(Clone, Debug)]
pub struct CallContext {
    authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    timeout: Duration,
}

impl CallContext {
    pub fn new(token: Option<&str>, timeout: Duration) -> anyhow::Result<Self> {
        let authorization = token
            .map(|t| format!("Bearer {t}").parse())
            .transpose()
            .map_err(|_| anyhow::anyhow!("the token has characters a header cannot carry"))?;
        Ok(Self { authorization, timeout })
    }
}

impl Interceptor for CallContext {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(a) = &self.authorization {
            request.metadata_mut().insert("authorization", a.clone());
        }
        inject_trace_context(request.metadata_mut());
        // A deadline the caller set (for example, what is left of its own) wins.
        if !request.metadata().contains_key("grpc-timeout") {
            request.set_timeout(self.timeout);
        }
        Ok(request)
    }
}

pub use dependency::{DependencyConfig, Transport};
pub use observe::CallObserver;

pub type Intercepted = InterceptedService<observe::Observed<Channel>, CallContext>;
pub type PartnerClient = PartnerEligibilityServiceClient<Intercepted>;
pub type OrderingClient = OrderingServiceClient<Intercepted>;
pub type RelationshipsClient = RelationshipsServiceClient<Intercepted>;
pub type ValidationClient = CustomerValidationServiceClient<Intercepted>;

/// A connection to one service with one caller's identity.
#[derive(Clone, Debug)]
pub struct Connection {
    channel: Channel,
    context: CallContext,
    observer: Option<Arc<observe::Observer>>,
}

impl Connection {
    /// Connects lazily: the first call opens the connection, so a service that is down
    /// answers UNAVAILABLE on that call instead of failing here.
    /// `https://` endpoints are checked against the webpki roots.
    pub fn lazy(endpoint: &str, token: Option<&str>, timeout: Duration) -> anyhow::Result<Self> {
        Self::lazy_with(&Transport::default(), endpoint, token, timeout)
    }

    /// [`Connection::lazy`] with the TLS trust and balancing of `transport`.
    pub fn lazy_with(
        transport: &Transport,
        endpoint: &str,
        token: Option<&str>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let channel = transport.channel(endpoint)?;
        Ok(Self { channel, context: CallContext::new(token, timeout)?, observer: None })
    }

    /// A server's connection to its dependency `target` (such as `customer-validation`):
    /// calls are recorded as `service`'s client calls, in its spans and its metrics.
    pub fn observed(
        mut self,
        service: &'static str,
        target: &'static str,
        endpoint: &str,
        metrics: impl observe::CallObserver,
    ) -> Self {
        self.observer = Some(Arc::new(observe::Observer::new(service, target, endpoint, metrics)));
        self
    }

    /// The same connection acting for another caller (a service forwarding its caller's
    /// token).
    pub fn with_token(&self, token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            channel: self.channel.clone(),
            context: CallContext::new(Some(token), self.context.timeout)?,
            observer: self.observer.clone(),
        })
    }

    pub fn partner(&self) -> PartnerClient {
        PartnerEligibilityServiceClient::new(self.intercepted())
    }

    pub fn relationships(&self) -> RelationshipsClient {
        RelationshipsServiceClient::new(self.intercepted())
    }

    pub fn ordering(&self) -> OrderingClient {
        OrderingServiceClient::new(self.intercepted())
    }

    pub fn validation(&self) -> ValidationClient {
        CustomerValidationServiceClient::new(self.intercepted())
    }

    pub fn intercepted(&self) -> Intercepted {
        InterceptedService::new(
            observe::Observed::new(self.channel.clone(), self.observer.clone()),
            self.context.clone(),
        )
    }
}

/// What is left of the caller's deadline (its `grpc-timeout`), less `margin` for our own
/// work, capped at `cap`: the deadline to give a downstream call.
pub fn downstream_deadline(incoming: &tonic::metadata::MetadataMap, margin: Duration, cap: Duration) -> Duration {
    incoming
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(gcc_core::rpc::parse_grpc_timeout)
        .map_or(cap, |d| d.saturating_sub(margin).min(cap))
        .max(Duration::from_millis(1))
}

/// A request with an explicit deadline.
pub fn with_deadline<T>(message: T, deadline: Duration) -> Request<T> {
    let mut r = Request::new(message);
    r.set_timeout(deadline);
    r
}

/// How a failed call to another service is reported to our caller: never a guess, and
/// never the other service's internals.
pub fn dependency_problem(service: &str, status: &Status) -> gcc_core::Problem {
    use gcc_core::Problem;
    tracing::warn!(service, code = ?status.code(), message = status.message(), "dependency call failed");
    match status.code() {
        Code::DeadlineExceeded | Code::Cancelled => Problem::new(
            Code::DeadlineExceeded,
            "DEPENDENCY_DEADLINE_EXCEEDED",
            format!("{service} did not answer in time"),
        )
        .with_meta("dependency", service),
        _ => Problem::new(Code::Unavailable, "DEPENDENCY_UNAVAILABLE", format!("{service} could not answer"))
            .with_meta("dependency", service)
            .with_retry(Duration::from_millis(200)),
    }
}

/// Retries a read while the service is UNAVAILABLE or overloaded, with jittered
/// exponential backoff, honouring `RetryInfo`, at most `attempts` times in all and within
/// the process's retry budget.
pub async fn retry_read<T, F, Fut>(attempts: u32, call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let policy = retry::RetryPolicy { max_attempts: attempts, ..Default::default() };
    retry::retry_with(&policy, retry::process_budget(), retry::Replay::Read, call).await
}

/// A call needs at least this much time to be worth starting: less ends it
/// DEADLINE_EXCEEDED, which would hide the failure that caused the retry. A dependency
/// whose database is away answers within its pool's acquire bound (0.5 s on PostgreSQL).
const MIN_ATTEMPT: Duration = Duration::from_millis(750);

/// [`retry_read`] for a call that must end by `until`: no retry starts unless at least
/// [`MIN_ATTEMPT`] would be left for it, so the caller sees the failure itself (such as
/// UNAVAILABLE) rather than a deadline spent on a last attempt that could not finish.
pub async fn retry_read_until<T, F, Fut>(attempts: u32, until: std::time::Instant, call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let left = until.saturating_duration_since(std::time::Instant::now()).saturating_sub(MIN_ATTEMPT);
    let policy = retry::RetryPolicy { max_attempts: attempts, deadline: left, ..Default::default() };
    retry::retry_with(&policy, retry::process_budget(), retry::Replay::Read, call).await
}
