//! The journeys: sequences of real RPCs with their real dependencies, each acting as the
//! role the source document gives the step, and the mixes that weigh them.

use std::future::Future;
use std::time::{Duration, Instant};

use gcc_platform::TenantId;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_proto::{ordering as opb, partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::walk::{company_profile, enrollment, fresh_domain, order, submission_for, token_of};
use rand::Rng;
use rand::rngs::StdRng;
use tonic::{Code, Status};

use crate::seed::{Fixture, Partner};
use crate::target::Target;

/// A journey of the source document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Journey {
    /// The bare health check: what the machine and the client can do at all.
    Health,
    GateValidated,
    GatePending,
    GateUnmanaged,
    OrderGcc,
    OrderCommercial,
    OrderRefused,
    ListGet,
    Onboarding,
    Invitation,
    Watch,
}

impl Journey {
    pub const ALL: [Journey; 11] = [
        Journey::Health,
        Journey::GateValidated,
        Journey::GatePending,
        Journey::GateUnmanaged,
        Journey::OrderGcc,
        Journey::OrderCommercial,
        Journey::OrderRefused,
        Journey::ListGet,
        Journey::Onboarding,
        Journey::Invitation,
        Journey::Watch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Journey::Health => "health",
            Journey::GateValidated => "gate-validated",
            Journey::GatePending => "gate-pending",
            Journey::GateUnmanaged => "gate-unmanaged",
            Journey::OrderGcc => "order-gcc",
            Journey::OrderCommercial => "order-commercial",
            Journey::OrderRefused => "order-refused",
            Journey::ListGet => "list-get",
            Journey::Onboarding => "onboarding",
            Journey::Invitation => "invitation",
            Journey::Watch => "watch",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Journey::Health => "grpc.health.v1.Health/Check on customer-validation, no token",
            Journey::GateValidated => "CheckEligibility for a validated customer: eligible",
            Journey::GatePending => "CheckEligibility for a customer whose validation is pending: not eligible",
            Journey::GateUnmanaged => "CheckEligibility for another partner's customer: not eligible or refused",
            Journey::OrderGcc => "PlaceOrder of a GCC offer for a validated customer (through the gate)",
            Journey::OrderCommercial => "PlaceOrder of a commercial offer for a customer without a validation",
            Journey::OrderRefused => "PlaceOrder of a GCC offer for a pending customer: FAILED_PRECONDITION",
            Journey::ListGet => "ListOrders (customer) → GetOrder → ListSubscriptions (customer) → GetCustomer",
            Journey::Onboarding => {
                "EnrollPartner → SubmitPartnerValidation → ApprovePartnerValidation → CreateCustomer → \
                 SubmitCustomerValidation → ApproveCustomerValidation → ApplyValidationCode → PlaceOrder"
            }
            Journey::Invitation => {
                "CreateRelationshipRequest → AcceptRelationshipRequest (the new customer) → PlaceOrder (commercial)"
            }
            Journey::Watch => "WatchCustomerValidation of a pending validation until its first message",
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<Self> {
        Journey::ALL.into_iter().find(|j| j.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Journey::ALL.iter().map(|j| j.name()).collect();
            anyhow::anyhow!("unknown journey {name:?}; one of {}", names.join(", "))
        })
    }
}

/// Journeys with weights.
#[derive(Debug, Clone)]
pub struct Mix {
    pub weights: Vec<(Journey, u32)>,
    total: u32,
}

impl Mix {
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        use Journey::*;
        let weights = match spec {
            "checkout" => vec![
                (GateValidated, 40),
                (OrderGcc, 25),
                (OrderCommercial, 10),
                (OrderRefused, 5),
                (GatePending, 5),
                (GateUnmanaged, 5),
                (ListGet, 10),
            ],
            "onboarding" => {
                vec![(Onboarding, 40), (Invitation, 30), (Watch, 10), (GateValidated, 10), (GatePending, 10)]
            }
            "read-heavy" => vec![(ListGet, 50), (GateValidated, 30), (Watch, 10), (GatePending, 5), (GateUnmanaged, 5)],
            "all" => Journey::ALL.iter().map(|j| (*j, 1)).collect(),
            weights => {
                let mut out = Vec::new();
                for item in weights.split(',') {
                    let (name, w) = item.split_once('=').unwrap_or((item, "1"));
                    let w: u32 = w.trim().parse().map_err(|_| anyhow::anyhow!("--mix: weight of {name:?}"))?;
                    anyhow::ensure!(w <= 1_000_000, "--mix: weight of {name:?} above 1000000");
                    out.push((Journey::parse(name.trim())?, w));
                }
                out
            }
        };
        Self::new(weights)
    }

    pub fn only(journey: Journey) -> Self {
        Self::new(vec![(journey, 1)]).expect("one journey")
    }

    fn new(weights: Vec<(Journey, u32)>) -> anyhow::Result<Self> {
        let total = weights.iter().map(|(_, w)| *w).sum();
        anyhow::ensure!(total > 0, "--mix: no journey has a weight");
        Ok(Self { weights, total })
    }

    pub fn pick(&self, rng: &mut StdRng) -> Journey {
        let mut x = rng.random_range(0..self.total);
        for (j, w) in &self.weights {
            if x < *w {
                return *j;
            }
            x -= w;
        }
        self.weights[0].0
    }
}

/// One RPC of a journey: its latency, status and whether that was the outcome expected.
#[derive(Debug, Clone)]
pub struct Call {
    pub rpc: &'static str,
    pub micros: u64,
    pub status: String,
    pub expected: bool,
    /// Shed by a server's admission: `RESOURCE_EXHAUSTED`; `Some(true)` when it said when to
    /// retry (`RetryInfo`).
    pub shed: Option<bool>,
}

/// The RPCs of one journey, in order.
pub struct Trace {
    pub calls: Vec<Call>,
    first_from: Option<Instant>,
    deadline: Duration,
}

/// The outcome a call should have.
#[derive(Clone, Copy)]
enum Expect {
    Ok,
    Refused(&'static [Code]),
    OkOrRefused(&'static [Code]),
}

/// `CODE` or `CODE REASON`, such as `FAILED_PRECONDITION CUSTOMER_NOT_ELIGIBLE`.
pub fn status_key(code: Code, reason: &str) -> String {
    let name = match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    };
    if reason.is_empty() { name.to_owned() } else { format!("{name} {reason}") }
}

impl Trace {
    /// A journey due at `intended`: its first call is timed from then.
    pub fn new(intended: Instant, deadline: Duration) -> Self {
        Self { calls: Vec::new(), first_from: Some(intended), deadline }
    }

    /// Whether every call had the outcome expected.
    pub fn ok(&self) -> bool {
        !self.calls.is_empty() && self.calls.iter().all(|c| c.expected)
    }

    /// The first unexpected outcome, as `Rpc: STATUS`.
    pub fn failure(&self) -> Option<String> {
        self.calls.iter().find(|c| !c.expected).map(|c| format!("{}: {}", c.rpc, c.status))
    }

    /// A request with a bearer token and the deadline.
    fn req<T>(&self, message: T, token: Option<&str>) -> tonic::Request<T> {
        let mut req = match token {
            Some(t) => gcc_testkit::authed(message, t),
            None => tonic::Request::new(message),
        };
        req.set_timeout(self.deadline);
        req
    }

    /// Sends one call (the first of a journey timed from its intended send time, the
    /// others from when they are sent), bounded by the deadline on the client's side too.
    async fn call<T>(
        &mut self,
        rpc: &'static str,
        expect: Expect,
        fut: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Option<T> {
        let from = self.first_from.take().unwrap_or_else(Instant::now);
        let result = match tokio::time::timeout(self.deadline + Duration::from_millis(50), fut).await {
            Ok(r) => r.map(tonic::Response::into_inner),
            Err(_) => Err(Status::deadline_exceeded("the client's deadline passed")),
        };
        let micros = from.elapsed().as_micros() as u64;
        let (status, code) = match &result {
            Ok(_) => ("OK".to_owned(), Code::Ok),
            Err(s) => (status_key(s.code(), &gcc_testkit::reason(s)), s.code()),
        };
        let shed = match &result {
            Err(s) if s.code() == Code::ResourceExhausted => Some(gcc_testkit::has_retry_info(s)),
            _ => None,
        };
        let expected = match expect {
            Expect::Ok => code == Code::Ok,
            Expect::Refused(codes) => codes.contains(&code),
            Expect::OkOrRefused(codes) => code == Code::Ok || codes.contains(&code),
        };
        self.calls.push(Call { rpc, micros, status, expected, shed });
        result.ok()
    }

    /// Marks the last call unexpected when its answer was not the one expected.
    fn check(&mut self, holds: bool, what: &str) {
        if !holds && let Some(last) = self.calls.last_mut() {
            last.expected = false;
            last.status = format!("OK but {what}");
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn customer_name(c: TenantId) -> String {
    format!("customers/{c}")
}

fn random_tenant(rng: &mut StdRng) -> TenantId {
    let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
    TenantId::parse(&id.to_string()).expect("a v4 UUID is a tenant ID")
}

fn request_id(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string()
}

/// Runs one journey into `trace`.
pub async fn run(journey: Journey, target: &Target, fixture: &Fixture, rng: &mut StdRng, trace: &mut Trace) {
    let partner = pick(rng, &fixture.partners);
    match journey {
        Journey::Health => {
            let mut c = tonic_health::pb::health_client::HealthClient::new(target.validation.get());
            let req = trace.req(tonic_health::pb::HealthCheckRequest { service: String::new() }, None);
            trace.call("HealthCheck", Expect::Ok, c.check(req)).await;
        }
        Journey::GateValidated => {
            let customer = *pick(rng, &partner.validated);
            let v = gate(target, partner, customer, trace, Expect::Ok).await;
            if let Some(v) = v {
                trace.check(v.eligible, "not eligible");
            }
        }
        Journey::GatePending => {
            let customer = pick(rng, &partner.pending).0;
            if let Some(v) = gate(target, partner, customer, trace, Expect::Ok).await {
                trace.check(!v.eligible, "eligible");
            }
        }
        Journey::GateUnmanaged => {
            // Another partner's customer (or a tenant no one manages).
            let others: Vec<&Partner> = fixture.partners.iter().filter(|p| p.tenant != partner.tenant).collect();
            let customer = if others.is_empty() {
                random_tenant(rng)
            } else {
                let other = *pick(rng, &others);
                *pick(rng, &other.validated)
            };
            let refusals = &[Code::PermissionDenied, Code::NotFound, Code::FailedPrecondition];
            if let Some(v) = gate(target, partner, customer, trace, Expect::OkOrRefused(refusals)).await {
                trace.check(!v.eligible, "eligible");
            }
        }
        Journey::OrderGcc => {
            let customer = *pick(rng, &partner.validated);
            place(target, &partner.token, customer, "o365-g3-gcc", rng, trace, Expect::Ok).await;
        }
        Journey::OrderCommercial => {
            let customer = *pick(rng, &partner.plain);
            place(target, &partner.token, customer, "o365-e3", rng, trace, Expect::Ok).await;
        }
        Journey::OrderRefused => {
            let customer = pick(rng, &partner.pending).0;
            let expect = Expect::Refused(&[Code::FailedPrecondition]);
            place(target, &partner.token, customer, "o365-g3-gcc", rng, trace, expect).await;
        }
        Journey::ListGet => list_get(target, fixture, partner, rng, trace).await,
        Journey::Onboarding => onboarding(target, rng, trace).await,
        Journey::Invitation => invitation(target, partner, rng, trace).await,
        Journey::Watch => {
            let (_, validation) = pick(rng, &partner.pending);
            let mut c = CustomerValidationServiceClient::new(target.validation.get());
            let req = trace.req(vpb::WatchCustomerValidationRequest { name: validation.clone() }, Some(&partner.token));
            // The stream is timed to its first message: the watcher's view of now.
            let first = async {
                let mut stream = c.watch_customer_validation(req).await?.into_inner();
                match stream.message().await? {
                    Some(v) => Ok(tonic::Response::new(v)),
                    None => Err(Status::unavailable("the watch ended before its first message")),
                }
            };
            trace.call("WatchCustomerValidation", Expect::Ok, first).await;
        }
    }
}

async fn gate(
    target: &Target,
    partner: &Partner,
    customer: TenantId,
    trace: &mut Trace,
    expect: Expect,
) -> Option<vpb::EligibilityVerdict> {
    let mut c = CustomerValidationServiceClient::new(target.validation.get());
    let req = vpb::CheckEligibilityRequest {
        customer: customer_name(customer),
        offer_families: vec![OfferFamily::Office365 as i32],
        partner: String::new(),
    };
    let req = trace.req(req, Some(&partner.token));
    trace.call("CheckEligibility", expect, c.check_eligibility(req)).await
}

async fn place(
    target: &Target,
    token: &str,
    customer: TenantId,
    offer: &str,
    rng: &mut StdRng,
    trace: &mut Trace,
    expect: Expect,
) -> Option<opb::Order> {
    let mut c = OrderingServiceClient::new(target.ordering.get());
    let req = trace.req(order(customer, &[(offer, 5)], &request_id(rng)), Some(token));
    trace.call("PlaceOrder", expect, c.place_order(req)).await
}

async fn list_get(target: &Target, fixture: &Fixture, partner: &Partner, rng: &mut StdRng, trace: &mut Trace) {
    let customer = *pick(rng, &partner.validated);
    let token = partner.token.as_str();
    let mut orders = OrderingServiceClient::new(target.ordering.get());
    let req = opb::ListOrdersRequest { page_size: 20, page_token: String::new(), customer: customer_name(customer) };
    let listed = trace.call("ListOrders", Expect::Ok, orders.list_orders(trace.req(req, Some(token)))).await;
    let Some(listed) = listed else { return };
    // An order of this customer, else one the partner placed while seeding.
    let name = listed.orders.first().map(|o| o.name.clone()).or_else(|| {
        let kept: Vec<&String> =
            fixture.partners.iter().filter(|p| p.tenant == partner.tenant).flat_map(|p| &p.orders).collect();
        (!kept.is_empty()).then(|| pick(rng, &kept).to_string())
    });
    if let Some(name) = name {
        let req = trace.req(opb::GetOrderRequest { name }, Some(token));
        trace.call("GetOrder", Expect::Ok, orders.get_order(req)).await;
    }
    let req =
        opb::ListSubscriptionsRequest { page_size: 20, page_token: String::new(), customer: customer_name(customer) };
    trace.call("ListSubscriptions", Expect::Ok, orders.list_subscriptions(trace.req(req, Some(token)))).await;
    let mut rel = RelationshipsServiceClient::new(target.relationships.get());
    let req = trace.req(rpb::GetCustomerRequest { name: customer_name(customer) }, Some(token));
    trace.call("GetCustomer", Expect::Ok, rel.get_customer(req)).await;
}

/// A new partner from enrollment to its first GCC order (R1–R5, R8–R12, R17–R19).
async fn onboarding(target: &Target, rng: &mut StdRng, trace: &mut Trace) {
    let tenant = random_tenant(rng);
    let token = target.admin(tenant);
    let reviewer = target.reviewer_token();
    let mut partners = PartnerEligibilityServiceClient::new(target.partner.get());
    let mut enroll = enrollment(tenant, ppb::PartnerType::DirectReseller, None);
    enroll.request_id = request_id(rng);
    let req = trace.req(enroll, Some(&token));
    if trace.call("EnrollPartner", Expect::Ok, partners.enroll_partner(req)).await.is_none() {
        return;
    }
    let submit = ppb::SubmitPartnerValidationRequest {
        partner_validation: Some(ppb::PartnerValidation {
            tenant_id: tenant.to_string(),
            qualifying_basis: ppb::QualifyingBasis::GovernmentEntities as i32,
            contact_email: "gov@partner.example".into(),
            ..Default::default()
        }),
        request_id: request_id(rng),
    };
    let req = trace.req(submit, Some(&token));
    let Some(pv) = trace.call("SubmitPartnerValidation", Expect::Ok, partners.submit_partner_validation(req)).await
    else {
        return;
    };
    let approve = ppb::ApprovePartnerValidationRequest { name: pv.name, request_id: request_id(rng) };
    let req = trace.req(approve, Some(&reviewer));
    if trace.call("ApprovePartnerValidation", Expect::Ok, partners.approve_partner_validation(req)).await.is_none() {
        return;
    }
    let domain = fresh_domain();
    let mut rel = RelationshipsServiceClient::new(target.relationships.get());
    let create = rpb::CreateCustomerRequest {
        customer: Some(rpb::Customer { company_profile: Some(company_profile(&domain)), ..Default::default() }),
        request_id: request_id(rng),
    };
    let req = trace.req(create, Some(&token));
    let Some(customer) = trace.call("CreateCustomer", Expect::Ok, rel.create_customer(req)).await else { return };
    let Ok(customer) = TenantId::parse(&customer.tenant_id) else {
        trace.check(false, "no tenant ID");
        return;
    };
    let mut val = CustomerValidationServiceClient::new(target.validation.get());
    let mut submit = submission_for(tenant, &domain, None);
    submit.request_id = request_id(rng);
    let req = trace.req(submit, Some(&token));
    let Some(cv) = trace.call("SubmitCustomerValidation", Expect::Ok, val.submit_customer_validation(req)).await else {
        return;
    };
    let approve = vpb::ApproveCustomerValidationRequest { name: cv.name, code_uses: 1, request_id: request_id(rng) };
    let req = trace.req(approve, Some(&reviewer));
    let Some(cv) = trace.call("ApproveCustomerValidation", Expect::Ok, val.approve_customer_validation(req)).await
    else {
        return;
    };
    let apply = vpb::ApplyValidationCodeRequest {
        validation_code: cv.validation_code,
        customer: customer_name(customer),
        request_id: request_id(rng),
    };
    let req = trace.req(apply, Some(&token));
    if trace.call("ApplyValidationCode", Expect::Ok, val.apply_validation_code(req)).await.is_none() {
        return;
    }
    place(target, &token, customer, "o365-g3-gcc", rng, trace, Expect::Ok).await;
}

/// A partner invites a new customer, which accepts and is ordered for (R14, R15, R21).
async fn invitation(target: &Target, partner: &Partner, rng: &mut StdRng, trace: &mut Trace) {
    let customer = random_tenant(rng);
    let mut rel = RelationshipsServiceClient::new(target.relationships.get());
    let invite = rpb::CreateRelationshipRequestRequest {
        relationship_request: Some(rpb::RelationshipRequest {
            bound_customer_tenant_id: customer.to_string(),
            ..Default::default()
        }),
        request_id: request_id(rng),
    };
    let req = trace.req(invite, Some(&partner.token));
    let Some(invited) = trace.call("CreateRelationshipRequest", Expect::Ok, rel.create_relationship_request(req)).await
    else {
        return;
    };
    if !invited.invitation_url.contains("?token=") {
        trace.check(false, "no invitation token");
        return;
    }
    let accept = rpb::AcceptRelationshipRequestRequest {
        invitation_token: token_of(&invited.invitation_url),
        company_profile: Some(company_profile(&fresh_domain())),
        request_id: request_id(rng),
    };
    let req = trace.req(accept, Some(&target.customer_admin(customer)));
    if trace.call("AcceptRelationshipRequest", Expect::Ok, rel.accept_relationship_request(req)).await.is_none() {
        return;
    }
    place(target, &partner.token, customer, "o365-e3", rng, trace, Expect::Ok).await;
}
