//! A list call to time: a page given the previous page's token, and the median time of a
//! first page and of page 11 (after walking 10 pages of 100).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// One page of a list call: the next page's token (empty on the last page).
pub type Page = Pin<Box<dyn Future<Output = Result<String, tonic::Status>> + Send>>;

/// Items per page.
pub const PAGE_SIZE: i32 = 100;

/// A list call to time, under the service that serves it.
pub struct Probe {
    pub service: &'static str,
    pub call: String,
    /// False for a call with no pages (one lookup): only its answer is timed.
    pub paged: bool,
    pub page: Box<dyn Fn(String) -> Page + Send + Sync>,
}

/// A probe of `$method` on `$client` acting with `$token`; `$req` builds the request
/// from the page token `$t`.
macro_rules! pages {
    ($client:expr, $token:expr, $method:ident, |$t:ident| $req:expr) => {{
        let client = $client.clone();
        let token: String = $token.to_owned();
        Box::new(move |$t: String| -> crate::probe::Page {
            let mut c = client.clone();
            let token = token.clone();
            let req = $req;
            Box::pin(async move { Ok(c.$method(gcc_testkit::authed(req, &token)).await?.into_inner().next_page_token) })
        })
    }};
}

/// A probe of a call with no pages.
macro_rules! single {
    ($client:expr, $token:expr, $method:ident, $req:expr) => {{
        let client = $client.clone();
        let token: String = $token.to_owned();
        Box::new(move |_: String| -> crate::probe::Page {
            let mut c = client.clone();
            let token = token.clone();
            let req = $req;
            Box::pin(async move { c.$method(gcc_testkit::authed(req, &token)).await.map(|_| String::new()) })
        })
    }};
}

pub(crate) use {pages, single};

impl Probe {
    pub fn paged(service: &'static str, call: &str, page: Box<dyn Fn(String) -> Page + Send + Sync>) -> Self {
        Self { service, call: call.to_owned(), paged: true, page }
    }

    pub fn single(service: &'static str, call: &str, page: Box<dyn Fn(String) -> Page + Send + Sync>) -> Self {
        Self { service, call: call.to_owned(), paged: false, page }
    }

    /// The rows this probe times: a first page and page 11, or the one answer.
    pub fn rows(&self) -> Vec<String> {
        if self.paged {
            vec![format!("{}, first page", self.call), format!("{}, page 11", self.call)]
        } else {
            vec![format!("{} (not paged)", self.call)]
        }
    }

    /// The median milliseconds of each of [`Probe::rows`].
    pub async fn time(&self, samples: usize) -> anyhow::Result<Vec<f64>> {
        let mut out = vec![self.median(samples, String::new()).await?];
        if self.paged {
            let deep = self.deep().await?;
            out.push(self.median(samples, deep).await?);
        }
        Ok(out)
    }

    /// The token of page 11.
    async fn deep(&self) -> anyhow::Result<String> {
        let mut token = String::new();
        for n in 1..=10 {
            token = (self.page)(token).await?;
            anyhow::ensure!(!token.is_empty(), "{}: the list ended at page {n}, before page 11", self.call);
        }
        Ok(token)
    }

    /// At most `samples` calls after a warm-up one, fewer (at least 3) once 5 s have
    /// passed, so that a page that scans does not hold the run up.
    async fn median(&self, samples: usize, token: String) -> anyhow::Result<f64> {
        (self.page)(token.clone()).await?;
        let began = Instant::now();
        let mut ms = Vec::with_capacity(samples);
        while ms.len() < samples.max(1) && (ms.len() < 3 || began.elapsed() < Duration::from_secs(5)) {
            let started = Instant::now();
            (self.page)(token.clone()).await?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        Ok(ms[ms.len() / 2])
    }
}

/// Every probe's medians, in order.
pub async fn time_all(probes: &[Probe], samples: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    for p in probes {
        out.extend(p.time(samples).await?);
    }
    Ok(out)
}
