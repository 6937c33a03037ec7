//! The next step, drawn from the model's state with a seeded RNG. Arguments lean towards
//! steps that can succeed (so that cases reach GCC-eligible states) but keep a share of
//! arbitrary ones (so that every refusal is exercised too).

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::model::*;
use super::steps::{COMMERCIAL_OFFERS, GCC_OFFERS, Step};

/// Customers per case: enough for relationships to cross, few enough to meet again.
const MAX_CUSTOMERS: usize = 12;

type Generator = fn(&Model, &mut StdRng) -> Option<Step>;

/// Step kinds with their weights in this state: a kind with nothing useful to act on
/// (no pending review, every partner enrolled) is drawn rarely, for its refusals.
fn kinds(m: &Model) -> [(u32, Generator); 17] {
    let rare_unless = |useful: bool, weight: u32| if useful { weight } else { 1 };
    let unenrolled = m.partners.iter().any(|p| !p.enrolled);
    let pending_link = m.links.iter().any(|l| l.awaits().is_some());
    let pending_partner = m.partner_validations.iter().any(|v| v.state == Review::Pending);
    let pending_customer = m.customer_validations.iter().any(|v| v.state == Review::Pending);
    let unqualified = m.partners.iter().any(|p| p.enrolled && p.kind != Kind::Reseller && !p.gcc);
    [
        (rare_unless(unenrolled, 12), enroll),
        (4, request_link),
        (2, invite_reseller),
        (rare_unless(pending_link, 8), approve_link),
        (2, end_link),
        (rare_unless(unqualified, 6), submit_partner),
        (rare_unless(pending_partner, 6), decide_partner),
        (if m.customers.len() < MAX_CUSTOMERS { 8 } else { 0 }, create_customer),
        (10, submit_customer),
        (rare_unless(pending_customer, 8), decide_customer),
        (10, apply_code),
        (6, invite),
        (6, accept),
        (2, withdraw),
        (2, revoke),
        (20, order_gcc),
        (6, order_commercial),
    ]
}

pub fn next(m: &Model, rng: &mut StdRng) -> Step {
    let kinds = kinds(m);
    let total: u32 = kinds.iter().map(|(w, _)| w).sum();
    loop {
        let mut at = rng.random_range(0..total);
        let generate = kinds
            .iter()
            .find_map(|&(w, g)| {
                if at < w {
                    return Some(g);
                }
                at -= w;
                None
            })
            .expect("a kind");
        // A kind with nothing to act on yet (no link, no code) gives way to another draw.
        if let Some(step) = generate(m, rng) {
            return step;
        }
    }
}

/// With probability `p` one of `useful` (when there is one), else any of `0..all`.
fn choose(rng: &mut StdRng, useful: Vec<usize>, all: usize, p: f64) -> Option<usize> {
    if !useful.is_empty() && rng.random_bool(p) {
        return useful.choose(rng).copied();
    }
    (all > 0).then(|| rng.random_range(0..all))
}

/// A partner of `kind`: one for which `useful` holds, mostly.
fn among(rng: &mut StdRng, m: &Model, kind: Kind, useful: impl Fn(usize) -> bool, p: f64) -> usize {
    let of_kind = m.of_kind(kind);
    let good: Vec<usize> = of_kind.iter().copied().filter(|&x| useful(x)).collect();
    let pool = if !good.is_empty() && rng.random_bool(p) { &good } else { &of_kind };
    *pool.choose(rng).expect("partners of every kind")
}

/// A partner: one for which `useful` holds, mostly.
fn partner(rng: &mut StdRng, m: &Model, useful: impl Fn(usize) -> bool, p: f64) -> usize {
    let good = (0..m.partners.len()).filter(|&x| useful(x)).collect();
    choose(rng, good, m.partners.len(), p).expect("partners")
}

fn other(side: Side) -> Side {
    match side {
        Side::Provider => Side::Reseller,
        Side::Reseller => Side::Provider,
    }
}

fn can_act(m: &Model, p: usize) -> bool {
    m.partners[p].enrolled && m.transacting(p).is_ok()
}

fn enroll(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let partner = partner(rng, m, |p| !m.partners[p].enrolled, 0.9);
    let provider = among(rng, m, Kind::Provider, |q| m.partners[q].enrolled, 0.85);
    Some(Step::Enroll { partner, provider })
}

fn request_link(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let reseller = among(rng, m, Kind::Reseller, |r| m.partners[r].enrolled && m.open_link(r).is_none(), 0.85);
    let provider = among(rng, m, Kind::Provider, |q| m.partners[q].enrolled, 0.85);
    Some(Step::RequestLink { reseller, provider })
}

fn invite_reseller(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let provider = among(rng, m, Kind::Provider, |q| m.partners[q].enrolled, 0.85);
    let reseller = among(rng, m, Kind::Reseller, |r| m.open_link(r).is_none(), 0.85);
    Some(Step::InviteReseller { provider, reseller })
}

fn approve_link(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let pending = (0..m.links.len()).filter(|&l| m.links[l].awaits().is_some()).collect();
    let link = choose(rng, pending, m.links.len(), 0.85)?;
    let awaited = m.links[link].awaits().unwrap_or(Side::Provider);
    let side = if rng.random_bool(0.85) { awaited } else { other(awaited) };
    Some(Step::ApproveLink { link, side })
}

fn end_link(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let open = (0..m.links.len()).filter(|&l| m.links[l].state != LinkState::Ended).collect();
    let link = choose(rng, open, m.links.len(), 0.9)?;
    let side = if rng.random_bool(0.5) { Side::Provider } else { Side::Reseller };
    Some(Step::EndLink { link, side })
}

fn submit_partner(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let open = |p| m.partner_validations.iter().any(|v| v.partner == p && v.state == Review::Pending);
    let useful = |p: usize| {
        let x = &m.partners[p];
        x.enrolled && x.kind != Kind::Reseller && !x.gcc && !open(p)
    };
    Some(Step::SubmitPartner { partner: partner(rng, m, useful, 0.85) })
}

fn decide_partner(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let all = &m.partner_validations;
    let pending = (0..all.len()).filter(|&v| all[v].state == Review::Pending).collect();
    let validation = choose(rng, pending, all.len(), 0.9)?;
    Some(Step::DecidePartner { validation, approve: rng.random_bool(0.75) })
}

fn create_customer(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let partner = partner(rng, m, |p| can_act(m, p), 0.85);
    let org = rng.random_range(0..ORGS);
    let root_free = !m.customers.iter().any(|c| c.org == org && c.at_root);
    // Mostly a free root or a subdomain; now and then a root that is taken.
    let at_root = rng.random_bool(if root_free { 0.3 } else { 0.05 });
    Some(Step::CreateCustomer { partner, org, at_root })
}

fn submit_customer(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let gcc = |p: usize| m.partners[p].enrolled && m.transacting(p).is_ok_and(|t| m.partners[t].gcc);
    let partner = partner(rng, m, gcc, 0.8);
    let customer = if rng.random_bool(0.6) {
        let useful = (0..m.customers.len()).filter(|&c| m.manages(partner, c) && !m.customers[c].qualified).collect();
        choose(rng, useful, m.customers.len(), 0.85)
    } else {
        None
    };
    let org = match customer {
        Some(c) if rng.random_bool(0.9) => m.customers[c].org,
        _ => rng.random_range(0..ORGS),
    };
    Some(Step::SubmitCustomer { partner, org, customer, own_tenant: rng.random_bool(0.1) })
}

fn decide_customer(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let all = &m.customer_validations;
    let pending = (0..all.len()).filter(|&v| all[v].state == Review::Pending).collect();
    let validation = choose(rng, pending, all.len(), 0.9)?;
    Some(Step::DecideCustomer { validation, approve: rng.random_bool(0.75), uses: rng.random_range(1..=3) })
}

fn apply_code(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let live = (0..m.codes.len()).filter(|&k| m.codes[k].remaining > 0).collect();
    let code = choose(rng, live, m.codes.len(), 0.85)?;
    let k = &m.codes[code];
    let fits = |p: usize, c: usize| m.manages(p, c) && m.customers[c].org == k.org && !m.customers[c].qualified;
    // Mostly a partner that sees the code and a customer of its organization it manages.
    let pairs: Vec<(usize, usize)> = [k.partner, k.transacting]
        .into_iter()
        .flat_map(|p| (0..m.customers.len()).filter(move |&c| fits(p, c)).map(move |c| (p, c)))
        .collect();
    let (partner, customer) = match pairs.choose(rng) {
        Some(&pair) if rng.random_bool(0.8) => pair,
        // With nothing that fits, mostly give way: arbitrary pairs are nearly all unmanaged.
        None if rng.random_bool(0.7) => return None,
        _ if !m.customers.is_empty() => (rng.random_range(0..m.partners.len()), rng.random_range(0..m.customers.len())),
        _ => return None,
    };
    Some(Step::ApplyCode { partner, code, customer })
}

fn invite(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let partner = partner(rng, m, |p| can_act(m, p), 0.85);
    let strangers = (0..m.customers.len()).filter(|&c| !m.manages(partner, c)).collect();
    let customer = choose(rng, strangers, m.customers.len(), 0.8)?;
    Some(Step::Invite { partner, customer })
}

fn pending_invitation(m: &Model, rng: &mut StdRng, p: f64) -> Option<usize> {
    let all = &m.invitations;
    choose(rng, (0..all.len()).filter(|&i| all[i].state == Invite::Pending).collect(), all.len(), p)
}

fn accept(m: &Model, rng: &mut StdRng) -> Option<Step> {
    Some(Step::Accept { invitation: pending_invitation(m, rng, 0.85)? })
}

fn withdraw(m: &Model, rng: &mut StdRng) -> Option<Step> {
    Some(Step::Withdraw { invitation: pending_invitation(m, rng, 0.7)? })
}

fn revoke(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let active: Vec<(usize, usize)> = m.relationships.keys().copied().collect();
    let (partner, customer) = match active.choose(rng) {
        Some(&pair) if rng.random_bool(0.8) => pair,
        _ if !m.customers.is_empty() => (rng.random_range(0..m.partners.len()), rng.random_range(0..m.customers.len())),
        _ => return None,
    };
    Some(Step::Revoke { partner, customer, by_customer: rng.random_bool(0.3) })
}

/// Half the time a partner that manages the customer, so that the gate decides.
fn order_pair(m: &Model, rng: &mut StdRng) -> Option<(usize, usize)> {
    if m.customers.is_empty() {
        return None;
    }
    let managed: Vec<(usize, usize)> = (0..m.partners.len())
        .flat_map(|p| (0..m.customers.len()).map(move |c| (p, c)))
        .filter(|&(p, c)| m.manages(p, c))
        .collect();
    match managed.choose(rng) {
        Some(&pair) if rng.random_bool(0.6) => Some(pair),
        _ => Some((rng.random_range(0..m.partners.len()), rng.random_range(0..m.customers.len()))),
    }
}

fn order_gcc(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let (partner, customer) = order_pair(m, rng)?;
    Some(Step::Order { partner, customer, offer: GCC_OFFERS.choose(rng).expect("offers") })
}

fn order_commercial(m: &Model, rng: &mut StdRng) -> Option<Step> {
    let (partner, customer) = order_pair(m, rng)?;
    Some(Step::Order { partner, customer, offer: COMMERCIAL_OFFERS.choose(rng).expect("offers") })
}
