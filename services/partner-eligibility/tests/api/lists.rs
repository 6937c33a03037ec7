//! Pages of long records stay within the response limit, and refusals and reviewers'
//! reads reach the audit trail without the callers waiting for it.

use std::collections::HashSet;

use gcc_platform::TenantId;
use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed, reviewer_token};
use prost::Message;
use tonic::Code;

use crate::helpers::{TestApp, admin};

#[tokio::test]
async fn a_list_of_maximum_length_records_pages_within_the_response_limit() {
    let app = TestApp::spawn().await;
    let mut submitted = HashSet::new();
    for _ in 0..70 {
        let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
        let mut req = crate::helpers::submission(tenant, "");
        let v = req.partner_validation.as_mut().unwrap();
        v.details = "d".repeat(2000);
        v.contact_email = format!("{}@{}.example", "c".repeat(60), "e".repeat(60));
        let v = app.client().submit_partner_validation(authed(req, &admin(tenant))).await.unwrap().into_inner();
        submitted.insert(v.name);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let req = pb::ListPartnerValidationsRequest { page_size: 500, page_token: token, ..Default::default() };
        let page = app.client().list_partner_validations(authed(req, &reviewer_token())).await.unwrap().into_inner();
        assert!(page.encoded_len() <= 64 * 1024, "a page of {} bytes", page.encoded_len());
        pages += 1;
        seen.extend(page.partner_validations.into_iter().map(|v| v.name));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert!(pages > 1, "the records fit in one page; make them longer");
    assert_eq!(seen.len(), submitted.len(), "every record exactly once");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), submitted);
}

#[tokio::test]
async fn refusals_are_audited_off_the_callers_path_with_their_echo_truncated() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    for i in 0..40 {
        // Distinct targets: identical refusals in one batch would be written as one.
        let long_name = format!("partnerValidations/{i}{}", "x".repeat(20_000));
        let req = pb::ApprovePartnerValidationRequest { name: long_name, request_id: String::new() };
        let err = app.client().approve_partner_validation(authed(req, &admin(tenant))).await.unwrap_err();
        assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    }
    assert_eq!(gcc_testkit::eventually_eq(40, || app.count("audit_log WHERE outcome = 'ROLE_REQUIRED'")).await, 40);
    assert_eq!(app.count("audit_log WHERE LENGTH(target) > 300 OR LENGTH(detail) > 600").await, 0);
}

#[tokio::test]
async fn a_reviewers_reads_of_contact_data_are_audited() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let req = pb::GetPartnerValidationRequest { name: v.name.clone() };
    app.client().get_partner_validation(authed(req, &reviewer_token())).await.unwrap();
    let req = pb::ListPartnerValidationsRequest::default();
    app.client().list_partner_validations(authed(req, &reviewer_token())).await.unwrap();
    // The partner reading its own request is not a reviewer's read.
    let req = pb::GetPartnerValidationRequest { name: v.name.clone() };
    app.client().get_partner_validation(authed(req, &admin(tenant))).await.unwrap();
    let reads = "audit_log WHERE action = 'partner_validation.read' AND outcome = 'ok'";
    assert_eq!(gcc_testkit::eventually_eq(2, || app.count(reads)).await, 2);
    assert_eq!(app.count(&format!("{reads} AND detail LIKE '%{}%'", v.name)).await, 2);
}

#[tokio::test]
async fn a_page_of_validations_reads_only_narrowed_indexes() {
    use gcc_testkit::{Arg, unbounded_reads};
    use partner_eligibility::domain::ValidationState;
    use partner_eligibility::store::{ValidationFilter, list_validations_sql};

    let app = TestApp::spawn().await;
    let filters = [
        ("a partner's", ValidationFilter { partner: Some(TenantId::random()), ..Default::default() }),
        ("by state", ValidationFilter { state: Some(ValidationState::Approved), ..Default::default() }),
        ("overdue", ValidationFilter { overdue_at: Some(chrono::Utc::now()), ..Default::default() }),
    ];
    for (what, filter) in filters {
        let args = [
            Arg::Text(""),
            Arg::Text(if filter.partner.is_some() { "3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12" } else { "" }),
            Arg::Text(if filter.state.is_some() { "APPROVED" } else { "" }),
            Arg::Int(i64::from(filter.overdue_at.is_some())),
            Arg::Int(0),
            Arg::Int(51),
        ];
        let reads = unbounded_reads(&app.db_url, list_validations_sql(&filter), &args).await;
        assert!(!reads.iter().any(|r| r == "partner_validations"), "{what}: {reads:?}");
    }
}

#[tokio::test]
async fn a_page_of_a_partners_notifications_reads_only_its_tenants_index() {
    use gcc_platform::mail::list_sql;
    use gcc_testkit::{Arg, unbounded_reads};

    let app = TestApp::spawn().await;
    for later in [false, true] {
        let before = if later { "0190c3a2-7b1e-7c3d-9e4f-5a6b7c8d9e0f.1" } else { "" };
        for (about, state) in [("", ""), ("partnerValidations/", "SENT")] {
            let args = [
                Arg::Text("3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12"),
                Arg::Text(about),
                Arg::Text(state),
                Arg::Text(before),
                Arg::Int(51),
            ];
            let reads = unbounded_reads(&app.db_url, list_sql(true, later), &args).await;
            assert!(!reads.iter().any(|r| r == "notifications"), "later page {later}, {about:?} {state:?}: {reads:?}");
        }
    }
}

#[tokio::test]
async fn a_page_of_a_providers_partners_reads_only_narrowed_indexes() {
    use gcc_testkit::{Arg, unbounded_reads};
    use partner_eligibility::store::list_partners_sql;

    let app = TestApp::spawn().await;
    for (after, partner_type) in [("", ""), ("5d2b8c4e-1a3f-4e6d-9b7c-0a1b2c3d4e5f", "INDIRECT_RESELLER")] {
        let args = [
            Arg::Text(after),
            Arg::Text("3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12"),
            Arg::Text(partner_type),
            Arg::Int(51),
        ];
        let reads = unbounded_reads(&app.db_url, list_partners_sql(true), &args).await;
        assert!(
            !reads.iter().any(|r| r == "partners" || r == "reseller_links"),
            "{after:?} {partner_type:?}: {reads:?}"
        );
    }
}
