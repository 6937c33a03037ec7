//! One way to describe a refusal (`Problem`) and turn it into a `tonic::Status` carrying
//! `google.rpc` details: `ErrorInfo` always, plus `BadRequest`, `PreconditionFailure`,
//! `RetryInfo` and `Help` where they apply. Clients branch on the reason, never the text.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A refusal with everything a client needs to act on it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: Code,
    pub reason: &'static str,
    pub message: String,
    details: Box<Details>,
}

/// The optional parts, boxed so that a `Result<_, Problem>` stays small.
#[derive(Debug, Clone, Default)]
struct Details {
    metadata: Vec<(String, String)>,
    field_violations: Vec<(String, String)>,
    preconditions: Vec<(String, String, String)>,
    retry_after: Option<Duration>,
    help: Option<(String, String)>,
}

impl Problem {
    pub fn new(code: Code, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: Box::default() }
    }

    /// INVALID_ARGUMENT with a `BadRequest` violation on `field`.
    pub fn invalid_field(field: &str, reason: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut p = Self::new(Code::InvalidArgument, reason, format!("{field}: {message}"));
        p.details.field_violations.push((field.to_owned(), message));
        p
    }

    pub fn field_required(field: &str) -> Self {
        Self::invalid_field(field, "FIELD_REQUIRED", "is required")
    }

    /// Checks a required free-text field's presence and length (in characters).
    pub fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), Self> {
        if value.trim().is_empty() {
            return Err(Self::field_required(field));
        }
        if value.chars().count() > max_chars {
            return Err(Self::invalid_field(field, "FIELD_TOO_LONG", format!("at most {max_chars} characters")));
        }
        Ok(())
    }

    /// FAILED_PRECONDITION with one `PreconditionFailure` violation.
    pub fn precondition(reason: &'static str, subject: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut p = Self::new(Code::FailedPrecondition, reason, message.clone());
        p.details.preconditions.push((reason.to_owned(), subject.into(), message));
        p
    }

    /// Adds a `PreconditionFailure` violation, for a refusal with several failing parts
    /// (`kind` is the violation's type, such as the reason that part fails for).
    pub fn with_precondition(
        mut self,
        kind: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.details.preconditions.push((kind.into(), subject.into(), description.into()));
        self
    }

    pub fn not_found(reason: &'static str, name: &str) -> Self {
        Self::new(Code::NotFound, reason, format!("{name} was not found")).with_meta("name", name)
    }

    /// The storage could not be reached; the client may retry.
    pub fn storage_unavailable() -> Self {
        Self::new(Code::Unavailable, "STORAGE_UNAVAILABLE", "storage is unavailable, retry shortly")
            .with_retry(Duration::from_millis(500))
    }

    /// An internal fault: the cause is logged, the caller sees only that it happened.
    pub fn internal() -> Self {
        Self::new(Code::Internal, "INTERNAL", "internal error; it has been logged")
    }

    pub fn with_meta(mut self, key: &str, value: impl ToString) -> Self {
        self.details.metadata.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn with_retry(mut self, after: Duration) -> Self {
        self.details.retry_after = Some(after);
        self
    }

    pub fn with_help(mut self, description: &str, url: &str) -> Self {
        self.details.help = Some((description.to_owned(), url.to_owned()));
        self
    }

    /// The wire form, with `domain` being the service's package (`gcc.partner.v1`).
    pub fn into_status(self, domain: &str) -> Status {
        let d = *self.details;
        let metadata: HashMap<String, String> = d.metadata.into_iter().collect();
        let mut details = ErrorDetails::with_error_info(self.reason, domain, metadata);
        for (field, description) in d.field_violations {
            details.add_bad_request_violation(field, description);
        }
        for (kind, subject, description) in d.preconditions {
            details.add_precondition_failure_violation(kind, subject, description);
        }
        if let Some(after) = d.retry_after {
            details.set_retry_info(Some(after));
        }
        if let Some((description, url)) = d.help {
            details.add_help_link(description, url);
        }
        Status::with_error_details(self.code, self.message, details)
    }

    /// Whether this refusal is one the audit trail records as a denial.
    pub fn is_denial(&self) -> bool {
        matches!(self.code, Code::PermissionDenied | Code::FailedPrecondition)
    }
}

#[cfg(feature = "storage")]
impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %e, "storage unavailable");
                Self::storage_unavailable()
            }
            // SQLite busy or locked; PostgreSQL serialization failure, deadlock, or a
            // server going away: transient, worth a retry.
            sqlx::Error::Database(ref d)
                if matches!(d.code().as_deref(), Some("5" | "6" | "517" | "40001" | "40P01" | "57P01" | "57P03")) =>
            {
                tracing::warn!(error = %e, "storage unavailable");
                Self::storage_unavailable()
            }
            other => {
                tracing::error!(error = ?other, "storage error");
                Self::internal()
            }
        }
    }
}

/// The reason and details of a `Status`, as a client reads them.
pub fn reason_of(status: &Status) -> Option<String> {
    status.get_error_details().error_info().map(|i| i.reason.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_precondition_violations_travel_in_one_status() {
        let status = Problem::new(Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED", "refused")
            .with_meta("reasons", "CUSTOMER_NOT_VALIDATED")
            .with_precondition("CUSTOMER_NOT_VALIDATED", "lines[0]", "first")
            .with_precondition("CUSTOMER_NOT_VALIDATED", "lines[2]", "third")
            .into_status("gcc.test.v1");
        let details = status.get_error_details();
        assert_eq!(reason_of(&status).as_deref(), Some("GCC_ELIGIBILITY_REQUIRED"));
        let subjects: Vec<_> =
            details.precondition_failure().unwrap().violations.iter().map(|v| v.subject.as_str()).collect();
        assert_eq!(subjects, ["lines[0]", "lines[2]"]);
    }
}
