//! Label sets, and the bounds that keep a caller from growing them: methods come from
//! the contracts (anything else is `_OTHER`), other values are interned up to a limit.

use super::CallOutcome;
pub use gcc_core::rpc::{intern, method_label, status_name};
use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};

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
