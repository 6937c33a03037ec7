//! Idempotency records: a retry with the same `request_id` and the same body gets the
//! first response; the same id with another body is refused with REQUEST_ID_REUSED.
//!
//! Two ways to keep the record, both in the change's own transaction:
//! - [`run`] claims the record first, so a concurrent duplicate waits on the claim
//!   (PostgreSQL) or on the single writer (SQLite) and then replays the stored response
//!   instead of doing the work twice;
//! - [`apply`], for a change known in full before it is written, inserts the record with
//!   its response in the same [`WriteBatch`] as the change, in one round trip: a concurrent
//!   duplicate fails on the record's key, writes nothing, and replays the first answer.

use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use tonic::Code;
use uuid::Uuid;

use crate::db::{Db, Statement, StorageOp, WriteBatch, is_unique_violation};
use crate::error::Problem;

/// Identifies one logical request of one tenant.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    scope: String,
    request_id: String,
    hash: String,
}

impl IdempotencyKey {
    /// `None` when the client sent no `request_id`. `body` is the request with its
    /// `request_id` cleared, so that only the rest of it counts as "the same body".
    pub fn new(
        scope: impl Into<String>,
        method: &str,
        request_id: &str,
        body: &impl prost::Message,
    ) -> Result<Option<Self>, Problem> {
        if request_id.is_empty() {
            return Ok(None);
        }
        let id = Uuid::try_parse(request_id)
            .ok()
            .filter(|u| !u.is_nil())
            .ok_or_else(|| Problem::invalid_field("request_id", "REQUEST_ID_INVALID", "must be a UUID"))?;
        let mut hasher = Sha256::new();
        hasher.update(method.as_bytes());
        hasher.update([0]);
        hasher.update(body.encode_to_vec());
        Ok(Some(Self {
            scope: scope.into(),
            request_id: id.hyphenated().to_string(),
            hash: hex::encode(hasher.finalize()),
        }))
    }

    /// The client's request ID, normalized: what traces name a mutation by.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// What claiming a key found.
pub enum Claim<T> {
    /// First time: do the work, then `complete`.
    Fresh,
    /// Done before: this was the answer.
    Replay(T),
}

pub async fn claim<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    now_us: i64,
) -> Result<Claim<T>, Problem> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency (scope, request_id, request_hash, response, created_at) \
         VALUES ($1, $2, $3, NULL, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&key.scope)
    .bind(&key.request_id)
    .bind(&key.hash)
    .bind(now_us)
    .execute(&mut *conn)
    .await
    .op("idempotency.claim")?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    match stored(conn, key).await? {
        Some(previous) => Ok(Claim::Replay(previous)),
        // A record without its answer is only visible inside the transaction that claimed it.
        None => Err(Problem::internal()),
    }
}

/// Looks a key up without claiming it: the stored answer of a completed request with the
/// same body, REQUEST_ID_REUSED for another body, or `None` when there is no completed
/// record. For a retry that must be answered before any other work (such as asking
/// another service); `run` still claims the key, which settles races.
pub async fn peek<T: DeserializeOwned>(db: &Db, key: &IdempotencyKey) -> Result<Option<T>, Problem> {
    let mut conn = db.reader().acquire().await.op("idempotency.peek")?;
    stored(&mut conn, key).await
}

/// The completed answer recorded under `key`, if any; REQUEST_ID_REUSED when the key was
/// used for another body.
async fn stored<T: DeserializeOwned>(conn: &mut AnyConnection, key: &IdempotencyKey) -> Result<Option<T>, Problem> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT request_hash, response FROM idempotency WHERE scope = $1 AND request_id = $2")
            .bind(&key.scope)
            .bind(&key.request_id)
            .fetch_optional(&mut *conn)
            .await
            .op("idempotency.read")?;
    let Some((hash, response)) = row else {
        return Ok(None);
    };
    if hash != key.hash {
        return Err(Problem::new(
            Code::AlreadyExists,
            "REQUEST_ID_REUSED",
            "this request_id was already used for a different request",
        )
        .with_meta("request_id", &key.request_id));
    }
    let Some(stored) = response else {
        return Ok(None);
    };
    serde_json::from_str(&stored).map(Some).map_err(|e| {
        tracing::error!(error = %e, "stored idempotent response does not decode");
        Problem::internal()
    })
}

pub async fn complete<T: Serialize>(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    response: &T,
) -> Result<(), Problem> {
    let json = encode(response)?;
    sqlx::query("UPDATE idempotency SET response = $3 WHERE scope = $1 AND request_id = $2")
        .bind(&key.scope)
        .bind(&key.request_id)
        .bind(json)
        .execute(&mut *conn)
        .await
        .op("idempotency.complete")?;
    Ok(())
}

/// Writes `batch`, which yields `value`, guarded by `key`, in one round trip: the first
/// call writes it with the record of `value`; a retry (even a concurrent one) writes
/// nothing and gets the recorded answer, or REQUEST_ID_REUSED for another body. Returns
/// the answer and whether this call wrote it.
pub async fn apply<T, E>(
    db: &Db,
    key: Option<&IdempotencyKey>,
    now_us: i64,
    mut batch: WriteBatch,
    value: T,
) -> Result<(T, bool), E>
where
    T: Serialize + DeserializeOwned,
    E: From<Problem> + From<sqlx::Error>,
{
    if let Some(key) = key {
        batch.push(
            Statement::new(
                "INSERT INTO idempotency (scope, request_id, request_hash, response, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key.scope.clone())
            .bind(key.request_id.clone())
            .bind(key.hash.clone())
            .bind(encode(&value)?)
            .bind(now_us),
        );
    }
    match db.apply(batch).await {
        Ok(()) => Ok((value, true)),
        // Another call with this key wrote first: its answer is this call's.
        Err(e) => match key {
            Some(key) if is_unique_violation(&e) => match peek(db, key).await? {
                Some(previous) => Ok((previous, false)),
                None => Err(e.into()),
            },
            _ => Err(e.into()),
        },
    }
}

/// Forgets requests older than `retention`: a retry after that is a new request. Their
/// answers are what an order costs most on disk after its own rows.
pub async fn prune(db: &Db, retention: std::time::Duration) -> Result<u64, sqlx::Error> {
    let retention = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
    let cutoff = crate::time::to_micros(chrono::Utc::now()).saturating_sub(retention);
    let mut tx = db.begin().await?;
    let n = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

fn encode<T: Serialize>(response: &T) -> Result<String, Problem> {
    serde_json::to_string(response).map_err(|e| {
        tracing::error!(error = %e, "response does not encode");
        Problem::internal()
    })
}

/// Runs `work` in one write transaction guarded by `key`: the first call does the work
/// and stores its result with the change; a retry gets the stored result and changes
/// nothing. Returns the result and whether this call did the work.
pub async fn run<T, E, F>(db: &Db, key: Option<&IdempotencyKey>, now_us: i64, work: F) -> Result<(T, bool), E>
where
    T: Serialize + DeserializeOwned + Send,
    E: From<Problem> + From<sqlx::Error>,
    F: for<'c> FnOnce(&'c mut AnyConnection) -> futures::future::BoxFuture<'c, Result<T, E>>,
{
    let mut tx = db.begin().await?;
    if let Some(key) = key
        && let Claim::Replay(previous) = claim(&mut tx, key, now_us).await?
    {
        return Ok((previous, false));
    }
    let value = work(&mut tx).await?;
    if let Some(key) = key {
        complete(&mut tx, key, &value).await?;
    }
    tx.commit().await?;
    Ok((value, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seven(_: &mut AnyConnection) -> futures::future::BoxFuture<'_, Result<i64, Problem>> {
        Box::pin(async { Ok(7) })
    }

    #[tokio::test]
    async fn peek_replays_a_completed_answer_and_refuses_another_body() {
        let file = std::env::temp_dir().join(format!("gcc-idempotency-{}.db", Uuid::new_v4()));
        let db =
            Db::connect(&format!("sqlite://{}", file.display()), 2, &sqlx::migrate::Migrator::DEFAULT).await.unwrap();
        let id = Uuid::new_v4().to_string();
        let key = IdempotencyKey::new("tenant", "Place", &id, &()).unwrap().unwrap();
        let other = IdempotencyKey::new("tenant", "Cancel", &id, &()).unwrap().unwrap();

        assert_eq!(peek::<i64>(&db, &key).await.unwrap(), None, "nothing recorded yet");
        assert_eq!(run(&db, Some(&key), 0, seven).await.unwrap(), (7, true));
        assert_eq!(peek::<i64>(&db, &key).await.unwrap(), Some(7));
        let reused = peek::<i64>(&db, &other).await.unwrap_err();
        assert_eq!((reused.code, reused.reason), (Code::AlreadyExists, "REQUEST_ID_REUSED"));

        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }

    #[tokio::test]
    async fn records_past_the_retention_are_forgotten_and_the_rest_kept() {
        let file = std::env::temp_dir().join(format!("gcc-idempotency-{}.db", Uuid::new_v4()));
        let db =
            Db::connect(&format!("sqlite://{}", file.display()), 2, &sqlx::migrate::Migrator::DEFAULT).await.unwrap();
        let now = crate::time::to_micros(chrono::Utc::now());
        let hour = 3_600_000_000;
        let old = IdempotencyKey::new("tenant", "Place", &Uuid::new_v4().to_string(), &()).unwrap().unwrap();
        let recent = IdempotencyKey::new("tenant", "Place", &Uuid::new_v4().to_string(), &()).unwrap().unwrap();
        run(&db, Some(&old), now - 2 * hour, seven).await.unwrap();
        run(&db, Some(&recent), now - hour / 2, seven).await.unwrap();

        assert_eq!(prune(&db, std::time::Duration::from_secs(3600)).await.unwrap(), 1);
        assert_eq!(peek::<i64>(&db, &old).await.unwrap(), None, "forgotten: a retry now is a new request");
        assert_eq!(peek::<i64>(&db, &recent).await.unwrap(), Some(7));

        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
