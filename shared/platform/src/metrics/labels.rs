//! Label sets, and the bounds that keep a caller from growing them: methods come from
//! the contracts (anything else is `_OTHER`), other values are interned up to a limit.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prost::Message;

use super::CallOutcome;

/// The labels of one series: `service` first, then the family's own.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Labels(Vec<(&'static str, &'static str)>);

impl Labels {
    pub(super) fn new(service: &'static str, pairs: &[(&'static str, &'static str)]) -> Self {
        let mut v = Vec::with_capacity(pairs.len() + 1);
        v.push(("service", service));
        v.extend_from_slice(pairs);
        Self(v)
    }

    pub(super) fn rpc(service: &'static str, o: CallOutcome, server_address: Option<&'static str>) -> Self {
        let mut v = Vec::with_capacity(6);
        v.push(("service", service));
        v.push(("rpc_system_name", "grpc"));
        v.push(("rpc_method", o.method));
        v.push(("rpc_status_code", status_name(o.code)));
        if let Some(e) = o.error_type {
            v.push(("error_type", e));
        }
        if let Some(a) = server_address {
            v.push(("server_address", a));
        }
        Self(v)
    }
}

impl EncodeLabelSet for Labels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), std::fmt::Error> {
        self.0.as_slice().encode(encoder)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_contracts_are_other() {
        assert_eq!(
            method_label("/gcc.ordering.v1.OrderingService/PlaceOrder"),
            "gcc.ordering.v1.OrderingService/PlaceOrder"
        );
        assert_eq!(method_label("/grpc.health.v1.Health/Check"), "grpc.health.v1.Health/Check");
        assert_eq!(method_label("/gcc.ordering.v1.OrderingService/Nope"), "_OTHER");
        assert_eq!(method_label("/x"), "_OTHER");
    }
}
