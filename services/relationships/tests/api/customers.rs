//! Customer accounts: created by a partner and in its list at once (R17), seen by an
//! indirect reseller's provider, and invisible to everyone else.

use gcc_platform::{Role, TenantId};
use gcc_proto::relationships as pb;
use gcc_testkit::{assert_refused, authed, reviewer_token, token};
use tonic::Code;

use crate::helpers::{TestApp, admin, profile, sales, unique_domain};

#[tokio::test]
async fn r17_a_new_customer_is_in_the_creating_partners_list_at_once() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let domain = unique_domain();

    let mut wire = profile(&domain.to_uppercase());
    wire.contact_email = "IT.Admin@Example.GOV".into();
    let req = pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            name: "customers/ignored".into(),
            tenant_id: TenantId::random().to_string(),
            company_profile: Some(wire),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let c = app.client().create_customer(authed(req, &token(partner, &[Role::SalesAgent]))).await.unwrap().into_inner();
    let tenant = TenantId::parse(&c.tenant_id).expect("a new tenant ID is assigned");
    assert_eq!(c.name, format!("customers/{tenant}"));
    let stored = c.company_profile.clone().unwrap();
    assert_eq!(stored.domain, domain, "domains are stored lower-case");
    assert_eq!(stored.contact_email, "it.admin@example.gov");
    assert_eq!(c.management, pb::ManagementKind::Direct as i32);

    assert_eq!(app.customers_of(partner).await, vec![tenant.to_string()]);
    assert_eq!(app.get_customer(partner, &c.name).await.unwrap(), c);
    let check = app.check(partner, tenant).await;
    assert!(check.managed);
    assert_eq!(check.management, pb::ManagementKind::Direct as i32);
    assert_eq!(check.managing_partner, format!("partners/{partner}"));
    assert_eq!(check.indirect_provider, "");
    assert_eq!(app.count("audit_log WHERE action = 'customer.create'").await, 1);
    assert_eq!(app.count("outbox WHERE topic = 'gcc.relationships.v1.customer.create'").await, 1);
}

#[tokio::test]
async fn r17_an_indirect_provider_sees_and_manages_its_resellers_new_customer() {
    let app = TestApp::spawn().await;
    let (provider, reseller) = app.provider_and_reseller().await;
    let c = app.create_customer(reseller, &unique_domain()).await.unwrap();
    let tenant = TenantId::parse(&c.tenant_id).unwrap();

    assert_eq!(app.customers_of(provider).await, vec![c.tenant_id.clone()]);
    let seen = app.get_customer(provider, &c.name).await.unwrap();
    assert_eq!(seen.management, pb::ManagementKind::IndirectProvider as i32);
    let check = app.check(provider, tenant).await;
    assert!(check.managed);
    assert_eq!(check.management, pb::ManagementKind::IndirectProvider as i32);
    assert_eq!(check.managing_partner, format!("partners/{reseller}"));
    assert_eq!(check.indirect_provider, format!("partners/{provider}"));
    let own = app.check(reseller, tenant).await;
    assert_eq!(
        (own.management, own.indirect_provider),
        (pb::ManagementKind::Direct as i32, format!("partners/{provider}"))
    );

    // The provider's own customers and its reseller's come back together, once each.
    let mine = app.create_customer(provider, &unique_domain()).await.unwrap();
    let mut expected = vec![c.tenant_id.clone(), mine.tenant_id];
    expected.sort();
    assert_eq!(app.customers_of(provider).await, expected);
    assert_eq!(app.customers_of(reseller).await, vec![c.tenant_id], "a reseller does not see its provider's customers");
}

#[tokio::test]
async fn another_partners_customer_is_not_found_exactly_like_a_missing_one() {
    let app = TestApp::spawn().await;
    let owner = app.direct_reseller().await;
    let other = app.direct_reseller().await;
    let c = app.create_customer(owner, &unique_domain()).await.unwrap();

    let hidden = app.get_customer(other, &c.name).await.unwrap_err();
    let missing = app.get_customer(other, &format!("customers/{}", TenantId::random())).await.unwrap_err();
    assert_refused(&hidden, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_refused(&missing, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert!(app.customers_of(other).await.is_empty());
    assert!(!app.check(other, TenantId::parse(&c.tenant_id).unwrap()).await.managed);
}

#[tokio::test]
async fn a_partner_may_not_ask_about_another_partner_but_a_reviewer_may() {
    let app = TestApp::spawn().await;
    let owner = app.direct_reseller().await;
    let other = app.direct_reseller().await;
    let c = app.create_customer(owner, &unique_domain()).await.unwrap();
    let ask = |partner: TenantId| pb::CheckCustomerManagementRequest {
        customer: c.name.clone(),
        partner: format!("partners/{partner}"),
    };

    let err = app.client().check_customer_management(authed(ask(owner), &sales(other))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "PARTNER_NOT_FOUND");
    let own = app.client().check_customer_management(authed(ask(owner), &sales(owner))).await.unwrap().into_inner();
    assert!(own.managed, "a partner may name itself");
    let by_reviewer =
        app.client().check_customer_management(authed(ask(owner), &reviewer_token())).await.unwrap().into_inner();
    assert!(by_reviewer.managed);
    let not_managed =
        app.client().check_customer_management(authed(ask(other), &reviewer_token())).await.unwrap().into_inner();
    assert_eq!(not_managed, pb::CheckCustomerManagementResponse::default());
    let err = app
        .client()
        .check_customer_management(authed(ask(owner), &token(owner, &[Role::CustomerAdmin])))
        .await
        .unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
}

#[tokio::test]
async fn a_domain_belongs_to_one_customer() {
    let app = TestApp::spawn().await;
    let first = app.direct_reseller().await;
    let second = app.direct_reseller().await;
    let domain = unique_domain();
    app.create_customer(first, &domain).await.unwrap();
    let err = app.create_customer(second, &domain.to_uppercase()).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "DOMAIN_TAKEN");
    assert_eq!((app.count("customers").await, app.count("relationships").await), (1, 1));
}

#[tokio::test]
async fn only_an_enrolled_partner_creates_customers() {
    let app = TestApp::spawn().await;
    let stranger = TenantId::random();
    let err = app.create_customer(stranger, &unique_domain()).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "PARTNER_NOT_ENROLLED");
    assert_eq!(app.count("customers").await, 0);
    assert_eq!(
        gcc_testkit::eventually_eq(1, || app.count("audit_log WHERE outcome = 'PARTNER_NOT_ENROLLED'")).await,
        1,
        "the denial is audited"
    );
}

#[tokio::test]
async fn listing_filters_by_name_and_domain_prefix_and_pages_through_everything_once() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    for i in 0..7 {
        let mut p = profile(&format!("d{i}.{}", unique_domain()));
        p.legal_name = if i % 2 == 0 { format!("Öffentliche Agentur {i}") } else { format!("County of {i}") };
        let req = pb::CreateCustomerRequest {
            customer: Some(pb::Customer { company_profile: Some(p), ..Default::default() }),
            request_id: String::new(),
        };
        app.client().create_customer(authed(req, &admin(partner))).await.unwrap();
    }
    let list = |req: pb::ListCustomersRequest| {
        let mut c = app.client();
        async move { c.list_customers(authed(req, &sales(partner))).await.unwrap().into_inner() }
    };
    let by_name = list(pb::ListCustomersRequest { name_prefix: "öFFENTLICHE".into(), ..Default::default() }).await;
    assert_eq!(by_name.customers.len(), 4, "case-insensitive, beyond ASCII");
    let by_domain = list(pb::ListCustomersRequest { domain_prefix: "D3.".into(), ..Default::default() }).await;
    assert_eq!(by_domain.customers.len(), 1);
    let none = list(pb::ListCustomersRequest { name_prefix: "%".into(), ..Default::default() }).await;
    assert!(none.customers.is_empty(), "wildcards are matched literally");

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = list(pb::ListCustomersRequest { page_size: 3, page_token, ..Default::default() }).await;
        assert!(page.customers.len() <= 3);
        seen.extend(page.customers.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (7, 7));
}

#[tokio::test]
async fn partner_eligibility_down_is_unavailable_with_retry_info_and_writes_nothing() {
    let app = TestApp::spawn_without_partner_service().await;
    let partner = TenantId::random();
    let request_id = uuid::Uuid::new_v4().to_string();
    let req = pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(profile(&unique_domain())), ..Default::default() }),
        request_id: request_id.clone(),
    };
    let err = app.client().create_customer(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    use tonic_types::StatusExt;
    assert!(err.get_error_details().retry_info().is_some());

    let req = pb::CreateRelationshipRequestRequest {
        relationship_request: Some(pb::RelationshipRequest::default()),
        request_id,
    };
    let err = app.client().create_relationship_request(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    for table in ["customers", "relationships", "relationship_requests", "invitation_links", "idempotency", "outbox"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    // The management check is local: it still answers.
    assert!(!app.check(partner, TenantId::random()).await.managed);
}

#[tokio::test]
async fn a_page_of_customers_reads_only_the_partners_and_the_providers_indexes() {
    use gcc_testkit::{Arg, unbounded_reads};

    let app = TestApp::spawn().await;
    for (name, pattern) in [("", "%"), ("county", "county%")] {
        let partner = Arg::Text("3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12");
        let args =
            [partner, Arg::Text(""), Arg::Text(name), Arg::Text(pattern), Arg::Text(""), Arg::Text("%"), Arg::Int(51)];
        let reads = unbounded_reads(&app.db_url, relationships::store::list_customers_sql(), &args).await;
        assert!(!reads.iter().any(|r| r == "relationships" || r == "customers"), "name prefix {name:?}: {reads:?}");
    }
}
