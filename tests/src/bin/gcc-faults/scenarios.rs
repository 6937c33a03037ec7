//! Scenarios 1–5: a fault under the steady load, then what the callers saw, checked
//! against what the database holds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use gcc_client::Connection;
use gcc_platform::Role;
use sqlx::Row as _;
use tonic::Code;
use tonic_health::ServingStatus;

use crate::cluster::{Cluster, Service};
use crate::load::{self, Account, CALL_DEADLINE, Call, Load, Op, Targets, now_us};

/// One row of the table, and the guarantees it broke.
#[derive(Debug, Default)]
pub struct Row {
    pub scenario: String,
    pub calls: usize,
    pub failed: usize,
    pub acknowledged: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub recovery: String,
    /// What else was seen (printed under the table).
    pub notes: Vec<String>,
    /// Broken guarantees: any makes the suite fail.
    pub violations: Vec<String>,
}

impl Row {
    fn new(scenario: &str) -> Self {
        Self { scenario: scenario.to_owned(), ..Default::default() }
    }

    pub fn check(&mut self, ok: bool, violation: impl Into<String>) {
        if !ok {
            self.violations.push(violation.into());
        }
    }
}

pub struct Suite<'a> {
    pub cluster: &'a mut Cluster,
    pub accounts: Vec<Account>,
    pub pace: Duration,
    pub max_calls: usize,
}

/// An order as the database holds it.
struct Stored {
    name: String,
    created_us: i64,
    gcc: bool,
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn us_to(d_us: i64) -> Duration {
    Duration::from_micros(d_us.max(0) as u64)
}

impl Suite<'_> {
    fn targets(&self) -> Targets {
        Targets {
            ordering: self.cluster.endpoint(Service::Ordering),
            validation: self.cluster.endpoint(Service::Validation),
        }
    }

    fn start_load(&self) -> anyhow::Result<Load> {
        Load::start(&self.targets(), &self.accounts, self.pace, self.max_calls)
    }

    /// The orders created since `from_us` by the suite's partners.
    async fn stored(&self, from_us: i64) -> anyhow::Result<Vec<Stored>> {
        let url = self.cluster.database_url(Service::Ordering);
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await?;
        let rows = sqlx::query(
            "SELECT o.id, o.created_at, o.partner_tenant, EXISTS (SELECT 1 FROM order_lines l JOIN offers f \
             ON f.id = l.offer_id WHERE l.order_id = o.id AND f.requires_gcc = 1) AS gcc \
             FROM orders o WHERE o.created_at >= $1",
        )
        .bind(from_us)
        .fetch_all(&mut conn)
        .await?;
        let _ = sqlx::Connection::close(conn).await;
        let partners: BTreeSet<String> = self.accounts.iter().map(|a| a.partner.to_string()).collect();
        let mut out = Vec::new();
        for r in rows {
            if partners.contains(&r.try_get::<String, _>("partner_tenant")?) {
                out.push(Stored {
                    name: format!("orders/{}", r.try_get::<String, _>("id")?),
                    created_us: r.try_get("created_at")?,
                    gcc: r.try_get("gcc")?,
                });
            }
        }
        Ok(out)
    }

    /// Fills the order columns of `row` from the calls and the database: first whether
    /// anything is stored that no caller was told of (`strict`: a violation, since nothing
    /// crashed between commit and answer), then every order that failed is sent again
    /// with its `request_id` (each must succeed), then acknowledged = stored, exactly.
    async fn account(&self, row: &mut Row, calls: &[Call], from_us: i64, strict: bool) -> anyhow::Result<()> {
        row.calls = calls.len();
        row.failed = calls.iter().filter(|c| c.outcome.is_err()).count();
        let mut failures: BTreeMap<String, usize> = BTreeMap::new();
        for c in calls {
            if let Err((code, reason)) = &c.outcome {
                *failures.entry(format!("{:?} {code:?} {reason}", c.op)).or_default() += 1;
            }
        }
        if !failures.is_empty() {
            row.notes.push(format!("failed after retries: {failures:?}"));
        }
        let mut acked: BTreeMap<String, String> = calls
            .iter()
            .filter(|c| c.op.is_order())
            .filter_map(|c| c.outcome.as_ref().ok().map(|n| (c.request_id.clone(), n.clone())))
            .collect();
        let names = |acked: &BTreeMap<String, String>| acked.values().cloned().collect::<BTreeSet<_>>();
        let before: BTreeSet<String> = self.stored(from_us).await?.into_iter().map(|s| s.name).collect();
        let told = names(&acked);
        let untold: Vec<&String> = before.difference(&told).collect();
        if strict {
            row.check(untold.is_empty(), format!("{} orders stored that no caller was told of", untold.len()));
        } else if !untold.is_empty() {
            row.notes.push(format!(
                "{} orders committed whose answer was lost (the caller gave up); its retry with the same request_id found each",
                untold.len()
            ));
        }
        // Every failed order again, with its own request_id, now that the fault is over.
        let failed: Vec<&Call> = calls.iter().filter(|c| c.op.is_order() && c.outcome.is_err()).collect();
        let mut resent_ok = 0;
        for c in &failed {
            let token = gcc_testkit::token(c.partner, &[Role::AdminAgent]);
            let conn = Connection::lazy(&self.cluster.endpoint(Service::Ordering), Some(&token), CALL_DEADLINE)?;
            let a = Account { partner: c.partner, customer: c.customer };
            let mut again = load::place(&conn, a, c.op, c.request_id.clone()).await;
            for _ in 0..3 {
                if again.outcome.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                again = load::place(&conn, a, c.op, c.request_id.clone()).await;
            }
            match again.outcome {
                Ok(name) => {
                    resent_ok += 1;
                    acked.insert(c.request_id.clone(), name);
                }
                Err((code, reason)) => {
                    row.violations.push(format!("a retry with the same request_id failed: {code:?} {reason}"))
                }
            }
        }
        if !failed.is_empty() {
            row.notes.push(format!(
                "{resent_ok} of {} failed orders sent again with their request_id succeeded",
                failed.len()
            ));
        }
        let stored: BTreeSet<String> = self.stored(from_us).await?.into_iter().map(|s| s.name).collect();
        let acked_names = names(&acked);
        row.acknowledged = acked_names.len();
        row.stored = stored.len();
        let lost = acked_names.difference(&stored).count();
        row.duplicates = stored.difference(&acked_names).count();
        row.check(lost == 0, format!("{lost} acknowledged orders are not stored"));
        row.check(row.duplicates == 0, format!("{} orders stored twice (or never acknowledged)", row.duplicates));
        row.check(acked.len() == acked_names.len(), "two request_ids were answered with the same order");
        Ok(())
    }

    /// 1. Every replica, one at a time, SIGTERM, restarted.
    pub async fn rolling_restart(&mut self) -> anyhow::Result<Row> {
        let mut row = Row::new("1. rolling restart (SIGTERM, each replica in turn)");
        let from = now_us();
        let load = self.start_load()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut longest = Duration::ZERO;
        for s in Service::ALL {
            for number in 1..=2 {
                let i = self.cluster.replica(s, number);
                let t = Instant::now();
                self.cluster.terminate(i).await?;
                self.cluster.restart(i).await?;
                longest = longest.max(t.elapsed());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let calls = load.stop().await;
        self.account(&mut row, &calls, from, true).await?;
        row.check(row.failed == 0, format!("{} calls failed after retries", row.failed));
        row.recovery = format!("{} (longest replica restart)", secs(longest));
        Ok(row)
    }

    /// 2. `kill -9` of one replica of each service in turn, then a new one.
    pub async fn crash(&mut self) -> anyhow::Result<Row> {
        let mut row = Row::new("2. crash (kill -9, one replica of each service in turn)");
        let from = now_us();
        let load = self.start_load()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut longest = Duration::ZERO;
        for (k, s) in Service::ALL.into_iter().enumerate() {
            let i = self.cluster.replica(s, 1 + k % 2);
            let t = Instant::now();
            self.cluster.replicas[i].kill9()?;
            // The other replica carries the load alone for a second.
            tokio::time::sleep(Duration::from_secs(1)).await;
            self.cluster.restart(i).await?;
            longest = longest.max(t.elapsed());
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let calls = load.stop().await;
        self.account(&mut row, &calls, from, false).await?;
        row.recovery = format!("{} (kill to replacement serving)", secs(longest));
        Ok(row)
    }

    /// 3. Every customer-validation replica stopped for 5 s.
    pub async fn gate_down(&mut self) -> anyhow::Result<Row> {
        let mut row = Row::new("3. gate down (customer-validation stopped 5 s)");
        let from = now_us();
        let load = self.start_load()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let gate = [self.cluster.replica(Service::Validation, 1), self.cluster.replica(Service::Validation, 2)];
        for &i in &gate {
            self.cluster.haproxy.set_state(&self.cluster.replicas[i], "drain").await?;
            self.cluster.replicas[i].terminate()?;
        }
        for &i in &gate {
            self.cluster.replicas[i].exited(Duration::from_secs(20)).await?;
        }
        let down_from = now_us();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let down_to = now_us();
        for &i in &gate {
            self.cluster.replicas[i].spawn()?;
            self.cluster.haproxy.set_state(&self.cluster.replicas[i], "ready").await?;
        }
        // It is back when a replica of it answers SERVING.
        let returned = loop {
            let mut any = false;
            for &i in &gate {
                any |= self.cluster.replicas[i].health().await == Some(ServingStatus::Serving);
            }
            if any {
                break now_us();
            }
            if now_us() - down_to > 30_000_000 {
                anyhow::bail!("customer-validation did not come back within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        for &i in &gate {
            self.cluster.replicas[i].serving(Duration::from_secs(30)).await?;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let calls = load.stop().await;

        // Nothing placed without the gate: no GCC order created while no replica of it ran
        // (an order is created after its verdict; 50 ms covers a verdict given just before).
        let stored = self.stored(from).await?;
        let placed_while_down =
            stored.iter().filter(|o| o.gcc && o.created_us > down_from + 50_000 && o.created_us < down_to).count();
        row.check(placed_while_down == 0, format!("{placed_while_down} GCC orders placed while the gate was down"));
        let during = |c: &&Call| c.start_us >= down_from && c.end_us <= down_to;
        let gcc_during: Vec<&Call> = calls.iter().filter(|c| c.op == Op::GccOrder).filter(during).collect();
        let refused_unavailable =
            gcc_during.iter().filter(|c| matches!(&c.outcome, Err((Code::Unavailable, _)))).count();
        row.check(!gcc_during.is_empty(), "no GCC order was tried while the gate was down");
        row.check(
            refused_unavailable == gcc_during.len(),
            format!(
                "{} of {} GCC orders while the gate was down were not refused UNAVAILABLE",
                gcc_during.len() - refused_unavailable,
                gcc_during.len()
            ),
        );
        let commercial_during = calls.iter().filter(|c| c.op == Op::CommercialOrder).filter(during).count();
        let commercial_acked =
            calls.iter().filter(|c| c.op == Op::CommercialOrder).filter(during).filter(|c| c.outcome.is_ok()).count();
        let commercial_failed = calls.iter().filter(|c| c.op == Op::CommercialOrder && c.outcome.is_err()).count();
        row.check(commercial_acked > 0 && commercial_failed == 0, format!(
            "commercial orders did not go on: {commercial_acked} of {commercial_during} acknowledged while the gate was down, {commercial_failed} failed in all"
        ));
        let reasons: BTreeSet<String> = gcc_during
            .iter()
            .filter_map(|c| c.outcome.as_ref().err().map(|(code, r)| format!("{code:?} {r}")))
            .collect();
        row.notes.push(format!(
            "while down: {} GCC orders refused ({}), {commercial_acked} commercial orders acknowledged",
            refused_unavailable,
            reasons.into_iter().collect::<Vec<_>>().join(", ")
        ));
        // Recovery: from its return (a replica SERVING) to the first GCC order
        // acknowledged after it.
        let recovered = calls
            .iter()
            .filter(|c| c.op == Op::GccOrder && c.outcome.is_ok() && c.end_us > down_to)
            .map(|c| c.end_us)
            .min();
        match recovered {
            Some(t) => {
                let d = us_to(t - returned);
                row.recovery = format!("{} (process start to SERVING {})", secs(d), secs(us_to(returned - down_to)));
                row.check(
                    d <= Duration::from_secs(2),
                    format!("GCC orders recovered {} after the gate returned (over 2 s)", secs(d)),
                );
            }
            None => row.violations.push("no GCC order was acknowledged after the gate returned".into()),
        }
        self.account(&mut row, &calls, from, true).await?;
        Ok(row)
    }

    /// 4. 3 s of latency between ordering and the gate.
    pub async fn slow_gate(&mut self) -> anyhow::Result<Row> {
        let mut row = Row::new("4. slow gate (+3 s between ordering and the gate)");
        let from = now_us();
        let load = self.start_load()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let slow_from = now_us();
        self.cluster.gate_proxy.set_delay(Duration::from_secs(3));
        tokio::time::sleep(Duration::from_secs(5)).await;
        self.cluster.gate_proxy.set_delay(Duration::ZERO);
        let slow_to = now_us();
        // Bytes already held drain for up to 3 s more.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let calls = load.stop().await;

        let gcc_during: Vec<&Call> =
            calls.iter().filter(|c| c.op == Op::GccOrder && c.start_us >= slow_from && c.start_us <= slow_to).collect();
        let answered_in_time = gcc_during
            .iter()
            .filter(|c| {
                matches!(&c.outcome, Err((Code::DeadlineExceeded, r)) if r == "DEPENDENCY_DEADLINE_EXCEEDED")
                    && c.latency <= CALL_DEADLINE
            })
            .count();
        row.check(!gcc_during.is_empty(), "no GCC order was tried while the gate was slow");
        row.check(
            answered_in_time == gcc_during.len(),
            format!(
                "{} of {} GCC orders while the gate was slow were not answered DEADLINE_EXCEEDED within the caller's deadline",
                gcc_during.len() - answered_in_time,
                gcc_during.len()
            ),
        );
        let slowest = gcc_during.iter().map(|c| c.latency).max().unwrap_or_default();
        let stored = self.stored(from).await?;
        let placed_slow =
            stored.iter().filter(|o| o.gcc && o.created_us > slow_from + 50_000 && o.created_us < slow_to).count();
        row.check(placed_slow == 0, format!("{placed_slow} GCC orders placed while the gate was slow"));
        row.notes.push(format!(
            "while slow: {answered_in_time} GCC orders answered DEADLINE_EXCEEDED DEPENDENCY_DEADLINE_EXCEEDED, the slowest after {} (caller's deadline {})",
            secs(slowest),
            secs(CALL_DEADLINE)
        ));
        let recovered = calls
            .iter()
            .filter(|c| c.op == Op::GccOrder && c.outcome.is_ok() && c.start_us > slow_to)
            .map(|c| c.end_us)
            .min();
        row.recovery = match recovered {
            Some(t) => format!("{} (held bytes drain)", secs(us_to(t - slow_to))),
            None => {
                row.violations.push("no GCC order was acknowledged after the gate was fast again".into());
                "never".into()
            }
        };
        self.account(&mut row, &calls, from, true).await?;
        Ok(row)
    }

    /// 5. PostgreSQL stopped (`-m fast`) for 4 s under load, then started again.
    pub async fn database_restart(&mut self) -> anyhow::Result<Row> {
        let mut row = Row::new("5. database restart (PostgreSQL down 4 s)");
        let from = now_us();
        let load = self.start_load()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Calls fail from the moment the stop begins (it ends the sessions first).
        let down_from = now_us();
        self.cluster.pg.stop()?;
        // Health of every replica, asked directly and all at once, from the stop until
        // every replica is SERVING again after the start.
        let addrs: Vec<std::net::SocketAddr> = self.cluster.replicas.iter().map(|r| r.addr).collect();
        let back_flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let poller = {
            let back_flag = back_flag.clone();
            tokio::spawn(async move {
                let mut not_serving = vec![false; addrs.len()];
                let give_up = Instant::now() + Duration::from_secs(60);
                loop {
                    let statuses = futures::future::join_all(addrs.iter().map(|a| crate::cluster::health_at(*a))).await;
                    for (seen, s) in not_serving.iter_mut().zip(&statuses) {
                        *seen |= *s == Some(ServingStatus::NotServing);
                    }
                    let back = back_flag.load(std::sync::atomic::Ordering::SeqCst);
                    if back && statuses.iter().all(|s| *s == Some(ServingStatus::Serving)) {
                        return (not_serving, Some(Instant::now()));
                    }
                    if Instant::now() > give_up {
                        return (not_serving, None);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_secs(4)).await;
        self.cluster.pg.start()?;
        let back = Instant::now();
        let back_us = now_us();
        back_flag.store(true, std::sync::atomic::Ordering::SeqCst);
        let (not_serving, serving_at) = poller.await?;
        let all_serving = serving_at.map(|t| t.saturating_duration_since(back));
        tokio::time::sleep(Duration::from_secs(3)).await;
        let calls = load.stop().await;

        let missing: Vec<String> = self
            .cluster
            .replicas
            .iter()
            .zip(&not_serving)
            .filter(|(_, seen)| !**seen)
            .map(|(r, _)| r.label())
            .collect();
        row.check(
            missing.is_empty(),
            format!("health never NOT_SERVING while the database was down: {}", missing.join(", ")),
        );
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for c in calls.iter().filter(|c| c.end_us >= down_from) {
            if let Err((code, reason)) = &c.outcome {
                *seen.entry(format!("{code:?} {reason}")).or_default() += 1;
            }
        }
        let wrong: Vec<&String> = seen.keys().filter(|k| !k.starts_with("Unavailable")).collect();
        row.check(wrong.is_empty(), format!("callers saw more than UNAVAILABLE: {wrong:?}"));
        row.check(
            seen.keys().any(|k| k.contains("STORAGE_UNAVAILABLE")),
            format!("no call was answered STORAGE_UNAVAILABLE (saw {seen:?})"),
        );
        row.notes.push(format!(
            "while down: {}; health NOT_SERVING on {} of {} replicas",
            if seen.is_empty() { "no call failed".to_owned() } else { format!("{seen:?}") },
            not_serving.iter().filter(|s| **s).count(),
            not_serving.len()
        ));
        let first_order =
            calls.iter().filter(|c| c.op.is_order() && c.outcome.is_ok() && c.end_us > back_us).map(|c| c.end_us).min();
        match (all_serving, first_order) {
            (Some(h), Some(o)) => {
                let d = h.max(us_to(o - back_us));
                row.recovery =
                    format!("{} (all SERVING {}, first order {})", secs(d), secs(h), secs(us_to(o - back_us)));
                row.check(
                    d <= Duration::from_secs(5),
                    format!("serving again only {} after the database returned", secs(d)),
                );
            }
            _ => row.violations.push(format!("not serving again after the database returned (health {all_serving:?})")),
        }
        self.account(&mut row, &calls, from, false).await?;
        Ok(row)
    }
}
