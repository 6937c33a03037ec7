use std::sync::Arc;
use std::time::Duration;

use super::*;

fn reason(code: Code, status: Option<&Status>) -> (Code, String) {
    let s = framework_problem(code, status, "framework said so".into()).into_status("test.example");
    let info = tonic_types::StatusExt::get_error_details(&s).error_info().cloned().expect("ErrorInfo");
    (s.code(), info.reason)
}

fn with_source(code: Code, source: Arc<dyn Error + Send + Sync>) -> Status {
    let mut s = Status::new(code, "framework said so");
    s.set_source(source);
    s
}

#[test]
fn codec_errors_are_told_by_their_code() {
    assert_eq!(reason(Code::OutOfRange, None), (Code::ResourceExhausted, "MESSAGE_TOO_LARGE".into()));
    assert_eq!(reason(Code::ResourceExhausted, None), (Code::ResourceExhausted, "MESSAGE_TOO_LARGE".into()));
    assert_eq!(reason(Code::Internal, None), (Code::InvalidArgument, "MESSAGE_MALFORMED".into()));
    assert_eq!(reason(Code::Unimplemented, None), (Code::Unimplemented, "METHOD_NOT_FOUND".into()));
    assert_eq!(reason(Code::Cancelled, None), (Code::DeadlineExceeded, "DEADLINE_EXCEEDED".into()));
    assert_eq!(reason(Code::Unavailable, None), (Code::Unavailable, "UNCLASSIFIED".into()));
}

#[test]
fn transport_failures_keep_their_code_whatever_the_message() {
    let io = with_source(Code::Internal, Arc::new(std::io::Error::other("decode: connection reset")));
    assert_eq!(reason(Code::Internal, Some(&io)), (Code::Internal, "UNCLASSIFIED".into()));
    let h2 = with_source(Code::Internal, Arc::new(h2::Error::from(h2::Reason::PROTOCOL_ERROR)));
    assert_eq!(cause(&h2), Some(Cause::Transport));
}

#[tokio::test]
async fn a_timer_below_the_handler_is_a_deadline() {
    let elapsed = tokio::time::timeout(Duration::ZERO, std::future::pending::<()>()).await.unwrap_err();
    let s = with_source(Code::Internal, Arc::new(elapsed));
    assert_eq!(reason(Code::Internal, Some(&s)), (Code::DeadlineExceeded, "DEADLINE_EXCEEDED".into()));
}

#[test]
fn answers_with_error_info_pass_untouched_and_bare_ones_are_repaired() {
    let repair = Repair { domain: "test.example" };
    let own = Problem::new(Code::NotFound, "CUSTOMER_NOT_FOUND", "no such customer").into_status("x").into_http();
    let kept = repair.repair(own);
    assert_eq!(grpc_status(&kept), Code::NotFound);
    assert!(kept.headers().contains_key("grpc-status-details-bin"), "a handler's own ErrorInfo stays");
    let bare: Response = Status::out_of_range("decoded message length too large").into_http();
    let fixed = repair.repair(bare);
    assert_eq!(grpc_status(&fixed), Code::ResourceExhausted);
    assert!(fixed.headers().contains_key("grpc-status-details-bin"), "a framework error gains ErrorInfo");
}
