//! Names the storage operation that failed: `.op("idempotency.claim")` on a storage
//! result logs the operation with the cause (inside a span that carries `op`) and turns
//! the error into the `Problem` the caller sees.

use crate::error::Problem;

/// A storage result that can say which operation it came from.
pub trait StorageOp<T> {
    /// The value, or the `Problem` for the error, logged with `op` and its cause.
    fn op(self, op: &'static str) -> Result<T, Problem>;
}

impl<T> StorageOp<T> for Result<T, sqlx::Error> {
    fn op(self, op: &'static str) -> Result<T, Problem> {
        self.map_err(|e| {
            // The conversion logs the cause at its own level; the span adds the operation.
            let _op = tracing::error_span!("storage", op).entered();
            Problem::from(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_operation_keeps_the_problem_it_maps_to() {
        let unavailable: Result<(), sqlx::Error> = Err(sqlx::Error::PoolTimedOut);
        let p = unavailable.op("outbox.claim").unwrap_err();
        let status = p.into_status("test.example");
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            crate::error::reason_of(&status),
            crate::error::reason_of(&Problem::storage_unavailable().into_status("test.example"))
        );
        let broken: Result<(), sqlx::Error> = Err(sqlx::Error::RowNotFound);
        assert_eq!(broken.op("audit.append").unwrap_err().into_status("x").code(), tonic::Code::Internal);
        assert_eq!(Ok::<_, sqlx::Error>(7).op("audit.append").ok(), Some(7));
    }
}
