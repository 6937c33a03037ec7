//! Delivers stored notifications: claims those due, sends each, records the attempt.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::MailArgs;
use super::store::{COLUMNS, NotificationRow, NotificationState, from_row, record_attempt};
use crate::db::{Backend, Db};
use crate::time::to_micros;

/// Notifications delivered per round: bounds one round's transaction and its length.
const BATCH: i64 = 20;
/// The longest wait between two attempts of one notification.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To the SMTP server of `--smtp-url`.
    Smtp,
    /// As `.eml` files in a folder (development).
    File,
    /// Nowhere: no `--smtp-url`, each notification is logged.
    LogOnly,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Dir(PathBuf),
    Log,
}

/// What one attempt came to.
enum Outcome {
    Sent(String),
    Logged,
    Temporary(String),
    Permanent(String),
}

/// Sends the notifications of one service database.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    domain: String,
    retry_initial: Duration,
    max_attempts: u32,
    poll: Duration,
}

impl Mailer {
    pub fn new(args: &MailArgs) -> anyhow::Result<Self> {
        let from: Mailbox = args
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from {:?} is not an address: {e}", args.mail_from))?;
        let domain = from.email.domain().to_owned();
        let transport = match args.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            None => Transport::Log,
            Some(url) if url.starts_with("file:") => {
                let dir = url.trim_start_matches("file:").trim_start_matches("//");
                let dir = PathBuf::from(if dir.is_empty() { "." } else { dir });
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                Transport::Dir(dir)
            }
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .with_context(|| format!("--smtp-url {} is not usable", crate::db::redact(url)))?
                    .timeout(Some(args.smtp_timeout))
                    .build(),
            ),
            Some(url) => {
                anyhow::bail!("--smtp-url {} must be smtp://, smtps:// or file://DIR", crate::db::redact(url))
            }
        };
        Ok(Self {
            transport,
            from,
            domain,
            retry_initial: args.mail_retry_initial,
            max_attempts: args.mail_max_attempts,
            poll: args.mail_poll,
        })
    }

    pub fn delivery(&self) -> Delivery {
        match self.transport {
            Transport::Smtp(_) => Delivery::Smtp,
            Transport::Dir(_) => Delivery::File,
            Transport::Log => Delivery::LogOnly,
        }
    }

    /// Starts sending the notifications of `db`; it ends when the database is closed.
    pub fn spawn(self: Arc<Self>, db: Db) {
        match self.delivery() {
            Delivery::LogOnly => {
                tracing::warn!("no --smtp-url: notifications are logged and recorded LOGGED, not sent")
            }
            Delivery::File => tracing::info!("notifications are written as .eml files, not sent"),
            Delivery::Smtp => {}
        }
        tokio::spawn(async move { self.run(db).await });
    }

    async fn run(&self, db: Db) {
        let mut failures = 0u32;
        loop {
            if db.reader().is_closed() {
                return;
            }
            let wait = match self.send_due(&db).await {
                Ok(0) => self.poll,
                Ok(_) => {
                    failures = 0;
                    Duration::ZERO
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if !db.reader().is_closed() {
                        tracing::warn!(error = format!("{e:#}"), failures, "notification round failed");
                    }
                    (self.poll * 2u32.saturating_pow(failures.min(6))).min(Duration::from_secs(10))
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Delivers one batch of due notifications; how many it tried.
    pub async fn send_due(&self, db: &Db) -> anyhow::Result<usize> {
        let now = to_micros(chrono::Utc::now());
        let due = format!(
            "SELECT {COLUMNS} FROM notifications WHERE state = 'PENDING' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        );
        match db.backend() {
            Backend::Postgres => {
                // The rows stay locked while they are sent: another replica skips them. A
                // process that dies before the commit leaves them PENDING: sent again.
                let mut tx = db.begin().await.context("begin")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{due} FOR UPDATE SKIP LOCKED")))
                    .bind(now)
                    .bind(BATCH)
                    .fetch_all(&mut *tx)
                    .await
                    .context("claim")?;
                let due = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
                for n in &due {
                    let outcome = self.deliver(n).await;
                    self.record(&mut tx, n, outcome).await?;
                }
                tx.commit().await.context("commit")?;
                Ok(due.len())
            }
            Backend::Sqlite => {
                // One process and one sender: read on a reader, mark each on the writer.
                let rows = sqlx::query(sqlx::AssertSqlSafe(due))
                    .bind(now)
                    .bind(BATCH)
                    .fetch_all(db.reader())
                    .await
                    .context("read")?;
                let due = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
                for n in &due {
                    let outcome = self.deliver(n).await;
                    let mut tx = db.begin().await.context("begin")?;
                    self.record(&mut tx, n, outcome).await?;
                    tx.commit().await.context("commit")?;
                }
                Ok(due.len())
            }
        }
    }

    async fn record(
        &self,
        conn: &mut sqlx::AnyConnection,
        n: &NotificationRow,
        outcome: Outcome,
    ) -> anyhow::Result<()> {
        let now = to_micros(chrono::Utc::now());
        let attempt = u32::try_from(n.attempts + 1).unwrap_or(u32::MAX);
        let (state, label, detail, next) = match outcome {
            Outcome::Sent(reply) => (NotificationState::Sent, "sent", reply, now),
            Outcome::Logged => (NotificationState::Logged, "logged", "no --smtp-url: logged, not sent".to_owned(), now),
            Outcome::Permanent(e) => {
                tracing::warn!(notification = %n.id, error = %e, "notification failed for good");
                (NotificationState::Failed, "permanent_failure", e, now)
            }
            Outcome::Temporary(e) if attempt >= self.max_attempts => {
                tracing::warn!(notification = %n.id, error = %e, attempt, "notification failed: attempts used up");
                (NotificationState::Failed, "temporary_failure", e, now)
            }
            Outcome::Temporary(e) => {
                let backoff = self.retry_initial.saturating_mul(2u32.saturating_pow(attempt - 1)).min(MAX_BACKOFF);
                tracing::info!(notification = %n.id, error = %e, attempt, ?backoff, "notification will be retried");
                let next = now + i64::try_from(backoff.as_micros()).unwrap_or(i64::MAX / 2);
                (NotificationState::Pending, "temporary_failure", e, next)
            }
        };
        record_attempt(conn, n, state, label, &detail, next, now).await.context("record the attempt")?;
        Ok(())
    }

    /// The message of `n`: its parts, its recipients and a Message-ID from its ID.
    pub fn message(&self, n: &NotificationRow) -> Result<Message, String> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .message_id(Some(format!("<{}@{}>", n.id, self.domain)))
            .subject(super::one_line(&n.subject));
        if n.to.is_empty() {
            return Err("no recipient".to_owned());
        }
        for a in &n.to {
            b = b.to(parse_address(a)?);
        }
        for a in &n.cc {
            b = b.cc(parse_address(a)?);
        }
        b.multipart(MultiPart::alternative_plain_html(n.text.clone(), n.html.clone()))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    async fn deliver(&self, n: &NotificationRow) -> Outcome {
        if let Transport::Log = self.transport {
            tracing::info!(notification = %n.id, to = ?n.to, cc = ?n.cc, subject = %n.subject, "notification (not sent)");
            return Outcome::Logged;
        }
        let message = match self.message(n) {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(e),
        };
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(reply) => {
                    Outcome::Sent(format!("{} {}", reply.code(), reply.message().collect::<Vec<_>>().join(" ")))
                }
                Err(e) if e.is_permanent() => Outcome::Permanent(format!("{e}")),
                Err(e) => Outcome::Temporary(format!("{e}")),
            },
            Transport::Dir(dir) => {
                let (path, bytes) = (dir.join(format!("{}.eml", n.id)), message.formatted());
                let written = tokio::task::spawn_blocking(move || {
                    let part = path.with_extension("eml.part");
                    std::fs::write(&part, bytes)?;
                    std::fs::rename(&part, &path)?;
                    Ok::<_, std::io::Error>(path)
                })
                .await;
                match written {
                    Ok(Ok(path)) => Outcome::Sent(format!("written to {}", path.display())),
                    Ok(Err(e)) => Outcome::Temporary(format!("cannot write the message: {e}")),
                    Err(e) => Outcome::Temporary(format!("cannot write the message: {e}")),
                }
            }
            Transport::Log => Outcome::Logged,
        }
    }
}

fn parse_address(a: &str) -> Result<Mailbox, String> {
    if a.chars().any(char::is_control) {
        return Err("unusable address: control characters".to_owned());
    }
    a.parse::<lettre::Address>().map(|e| Mailbox::new(None, e)).map_err(|e| format!("unusable address {a:?}: {e}"))
}
