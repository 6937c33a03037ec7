//! The gRPC conventions servers and clients share: status names, method labels bounded
//! by the contracts, which codes are the server's fault, and the `grpc-timeout` and
//! `grpc-message` encodings.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use prost::Message;
use tonic::Code;

/// How a call ended, for the RPC duration histograms.
#[derive(Debug, Clone, Copy)]
pub struct CallOutcome {
    pub method: &'static str,
    pub code: Code,
    /// Set on failure (the status code's name, by the conventions).
    pub error_type: Option<&'static str>,
}

/// The span of one call, named and described by the OpenTelemetry RPC conventions;
/// `kind` is `client` or `server`. The fields left empty are recorded as the call goes.
pub fn call_span(kind: &'static str, method: &'static str) -> tracing::Span {
    tracing::info_span!(
        "rpc",
        otel.name = method,
        otel.kind = kind,
        otel.status_code = tracing::field::Empty,
        rpc.system.name = "grpc",
        rpc.method = method,
        rpc.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        server.address = tracing::field::Empty,
        service.name = tracing::field::Empty,
    )
}

/// The status code's name, as the conventions write it (`OK`, `UNAVAILABLE`).
pub fn status_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Every method of our contracts, of health and of reflection, as `pkg.Service/Method`.
fn known_methods() -> &'static HashSet<&'static str> {
    static KNOWN: OnceLock<HashSet<&'static str>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut set: HashSet<&'static str> = [
            "grpc.health.v1.Health/Check",
            "grpc.health.v1.Health/Watch",
            "grpc.health.v1.Health/List",
            "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ]
        .into_iter()
        .collect();
        if let Ok(fds) = prost_types::FileDescriptorSet::decode(gcc_proto::FILE_DESCRIPTOR_SET) {
            for file in fds.file {
                let package = file.package();
                for service in &file.service {
                    for method in &service.method {
                        let name = format!("{package}.{}/{}", service.name(), method.name());
                        set.insert(Box::leak(name.into_boxed_str()));
                    }
                }
            }
        }
        set
    })
}

/// The `rpc.method` of a request path (`/pkg.Service/Method`): `_OTHER` for a method that
/// no contract names, so that a caller cannot add series.
pub fn method_label(path: &str) -> &'static str {
    let name = path.strip_prefix('/').unwrap_or(path);
    known_methods().get(name).copied().unwrap_or("_OTHER")
}

/// The most distinct label values (reasons) the process keeps; past it, `_OTHER`.
const MAX_INTERNED: usize = 1024;

/// A label value with a static lifetime, from a bounded set.
pub fn intern(value: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = seen.get(value) {
        return v;
    }
    if seen.len() >= MAX_INTERNED {
        return "_OTHER";
    }
    let v: &'static str = Box::leak(value.to_owned().into_boxed_str());
    seen.insert(v);
    v
}

/// The codes that are the server's fault, by the RPC conventions (the others answer a
/// caller's mistake).
pub fn server_error(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// `grpc-message` is percent-encoded on the wire.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `grpc-timeout` value: digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}
