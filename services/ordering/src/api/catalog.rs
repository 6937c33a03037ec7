//! `ListOffers` (the catalog, R21) and `ListPurchasableOffers` (what a managed customer
//! can be sold now: commercial offers always, government ones when the gate says yes).

use gcc_platform::fields::parse_enum_filter;
use gcc_platform::paging::Page;
use gcc_proto::ordering as pb;
use gcc_proto::types::OfferFamily as PbFamily;
use tonic::{Request, Response, Status};

use super::{AGENTS, OrderingApi, caller_of, convert};
use crate::domain::OfferFamily;

impl OrderingApi {
    pub(super) async fn offers(
        &self,
        req: Request<pb::ListOffersRequest>,
    ) -> Result<Response<pb::ListOffersResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "offer.list", "offers", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let segment = parse_enum_filter::<pb::Segment>("segment", body.segment)?.and_then(convert::segment_from);
            let family =
                parse_enum_filter::<PbFamily>("family", body.family)?.and_then(|f| OfferFamily::try_from(f).ok());
            let fingerprint = format!("{segment:?}/{family:?}");
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_offers(segment, family, &page).await?;
            let (offers, next_page_token) =
                page.finish(rows, |o| o.id.clone(), convert::offer, self.0.max_message_bytes)?;
            Ok(pb::ListOffersResponse { offers, next_page_token })
        })
        .await
    }

    pub(super) async fn purchasable(
        &self,
        req: Request<pb::ListPurchasableOffersRequest>,
    ) -> Result<Response<pb::ListPurchasableOffersResponse>, Status> {
        let caller = caller_of(&req)?;
        let until = self.deadline(&req);
        let name = req.get_ref().customer.clone();
        self.run(&caller, "offer.list_purchasable", &name, async {
            caller.require(AGENTS)?;
            let customer = convert::parse_customer_name("customer", &name)?;
            let facts = &self.0.facts;
            let (management, verdict) = tokio::try_join!(
                facts.management(&caller, customer, until),
                facts.eligibility(&caller, customer, &OfferFamily::ALL, until),
            )?;
            management.require(|| name.clone())?;
            Ok(pb::ListPurchasableOffersResponse {
                offers: self.0.catalog.purchasable(verdict.eligible).iter().map(convert::offer).collect(),
                gcc_eligible: verdict.eligible,
                gcc_ineligibility_reasons: verdict.reasons,
            })
        })
        .await
    }
}
