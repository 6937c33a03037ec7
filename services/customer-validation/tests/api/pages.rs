//! A page of validations costs the same whatever the size of the table: a partner's list
//! walks its own indexes, a reviewer's list by state (or of overdue ones) walks that
//! state's, never the whole table.

use chrono::Utc;
use customer_validation::domain::ValidationState;
use customer_validation::store::{ValidationFilter, list_sql};
use gcc_testkit::{Arg, unbounded_reads};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_page_of_validations_reads_only_narrowed_indexes() {
    let app = TestApp::spawn().await;
    let partner = gcc_platform::TenantId::random();
    let filters = [
        ("a partner's", ValidationFilter { visible_to: Some(partner), ..Default::default() }),
        ("by state", ValidationFilter { state: Some(ValidationState::PendingReview), ..Default::default() }),
        ("overdue", ValidationFilter { overdue_at: Some(Utc::now()), ..Default::default() }),
    ];
    for (what, filter) in filters {
        let args = [
            Arg::Text(""),
            Arg::Text(if filter.visible_to.is_some() { "3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12" } else { "" }),
            Arg::Text(if filter.state.is_some() { "PENDING_REVIEW" } else { "" }),
            Arg::Int(i64::from(filter.overdue_at.is_some())),
            Arg::Int(0),
            Arg::Int(51),
        ];
        let reads = unbounded_reads(&app.db_url, &list_sql(&filter), &args).await;
        assert!(!reads.iter().any(|r| r == "customer_validations"), "{what}: {reads:?}");
    }
}

#[tokio::test]
async fn a_page_of_validation_codes_reads_only_the_partners_indexes() {
    let app = TestApp::spawn().await;
    for include_spent in [0, 1] {
        let args = [
            Arg::Text(""),
            Arg::Text("3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12"),
            Arg::Int(include_spent),
            Arg::Int(101),
            Arg::Int(0),
        ];
        let reads = unbounded_reads(&app.db_url, customer_validation::store::codes_sql(), &args).await;
        assert!(!reads.iter().any(|r| r == "validation_codes"), "include_spent {include_spent}: {reads:?}");
    }
}
