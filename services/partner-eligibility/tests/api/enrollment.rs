use gcc_platform::{Role, TenantId};
use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed, reviewer_token, token};
use tonic::Code;

use crate::helpers::{TestApp, admin};

#[tokio::test]
async fn r1_partner_must_be_enrolled_before_gcc_validation() {
    let app = TestApp::spawn().await;
    let stranger = TenantId::random();
    let err = app.submit(stranger).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "PARTNER_NOT_ENROLLED");
    assert_eq!(app.count("partner_validations").await, 0);

    app.enroll(stranger, pb::PartnerType::DirectReseller, None).await.unwrap();
    app.submit(stranger).await.expect("an enrolled partner may submit");
}

#[tokio::test]
async fn r1_enrollment_records_the_callers_commercial_tenant_id() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    let azure = TenantId::random();
    let req = pb::EnrollPartnerRequest {
        partner: Some(pb::Partner {
            name: "partners/ignored".into(),
            tenant_id: TenantId::random().to_string(),
            legal_name: "  Contoso Government Services  ".into(),
            partner_type: pb::PartnerType::IndirectProvider as i32,
            azure_gcc_tenant_id: azure.to_string(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let p = app.client().enroll_partner(authed(req, &admin(tenant))).await.unwrap().into_inner();
    assert_eq!(p.name, format!("partners/{tenant}"));
    assert_eq!(p.tenant_id, tenant.to_string(), "output-only tenant_id comes from the token");
    assert_eq!(p.legal_name, "Contoso Government Services");
    assert_eq!(p.azure_gcc_tenant_id, azure.to_string());
    assert!(!p.gcc_enabled);
    assert_eq!(app.get_partner(tenant, &admin(tenant)).await.unwrap(), p);
    assert_eq!(app.count("audit_log WHERE action = 'partner.enroll'").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn r1_enrolling_twice_is_already_exists() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let err = app.enroll(tenant, pb::PartnerType::DirectReseller, None).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "PARTNER_ALREADY_ENROLLED");
    assert_eq!(app.count("partners").await, 1);
}

#[tokio::test]
async fn r1_an_indirect_reseller_names_an_enrolled_indirect_provider() {
    let app = TestApp::spawn().await;
    let direct = app.enrolled(pb::PartnerType::DirectReseller).await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;

    let err =
        app.enroll(TenantId::random(), pb::PartnerType::IndirectReseller, Some(TenantId::random())).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INDIRECT_PROVIDER_NOT_ENROLLED");
    let err = app.enroll(TenantId::random(), pb::PartnerType::IndirectReseller, Some(direct)).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INDIRECT_PROVIDER_NOT_ENROLLED");
    let err = app.enroll(TenantId::random(), pb::PartnerType::IndirectReseller, None).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "INDIRECT_PROVIDER_REQUIRED");
    let err = app.enroll(TenantId::random(), pb::PartnerType::DirectReseller, Some(provider)).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "INDIRECT_PROVIDER_NOT_ALLOWED");
    assert_eq!(app.count("partners").await, 2, "refusals write nothing");

    // R1a: naming the provider asks it; the reseller sells through it once it agrees.
    let reseller = TenantId::random();
    let p = app.enroll(reseller, pb::PartnerType::IndirectReseller, Some(provider)).await.unwrap();
    assert_eq!(p.indirect_provider, "", "no transacting partner before the provider agrees");
    gcc_testkit::walk::approve_link(&mut app.client(), provider, reseller).await;
    assert_eq!(
        app.get_partner(reseller, &admin(reseller)).await.unwrap().indirect_provider,
        format!("partners/{provider}")
    );
}

#[tokio::test]
async fn another_partner_is_not_found_but_a_provider_sees_its_resellers() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;
    let other = app.enrolled(pb::PartnerType::DirectReseller).await;

    let err = app.get_partner(reseller, &admin(other)).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "PARTNER_NOT_FOUND");
    let missing = app.get_partner(TenantId::random(), &admin(other)).await.unwrap_err();
    assert_refused(&missing, Code::NotFound, "PARTNER_NOT_FOUND");
    assert_eq!(app.get_partner(reseller, &admin(provider)).await.unwrap().tenant_id, reseller.to_string());
    // A reseller does not see its provider's record: it answers as a missing one.
    let hidden = app.get_partner(provider, &admin(reseller)).await.unwrap_err();
    assert_refused(&hidden, Code::NotFound, "PARTNER_NOT_FOUND");

    let list = |t: String| {
        let mut c = app.client();
        async move {
            let mut names: Vec<String> = c
                .list_partners(authed(pb::ListPartnersRequest::default(), &t))
                .await
                .unwrap()
                .into_inner()
                .partners
                .into_iter()
                .map(|p| p.tenant_id)
                .collect();
            names.sort();
            names
        }
    };
    let mut expected = vec![provider.to_string(), reseller.to_string()];
    expected.sort();
    assert_eq!(list(admin(provider)).await, expected);
    assert_eq!(list(token(other, &[Role::SalesAgent])).await, vec![other.to_string()]);
    assert_eq!(list(reviewer_token()).await.len(), 3, "reviewers see every partner");
}

#[tokio::test]
async fn listing_partners_pages_through_everything_once() {
    let app = TestApp::spawn().await;
    for _ in 0..7 {
        app.enrolled(pb::PartnerType::DirectReseller).await;
    }
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListPartnersRequest { page_size: 3, page_token: page_token.clone(), partner_type: 0 };
        let page = app.client().list_partners(authed(req, &reviewer_token())).await.unwrap().into_inner();
        assert!(page.partners.len() <= 3);
        seen.extend(page.partners.into_iter().map(|p| p.name));
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
