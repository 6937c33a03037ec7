//! The catalog (R21), seeded by migration.

use gcc_platform::OfferFamily;
use gcc_platform::db::corrupt_column as corrupt;
use gcc_platform::paging::Page;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};
use crate::domain::{Catalog, Offer, Segment};

impl Store {
    /// The whole catalog (R21).
    #[tracing::instrument(skip_all, fields(resource = "offers"), err)]
    pub async fn catalog(&self) -> Result<Catalog> {
        let rows = sqlx::query("SELECT * FROM offers ORDER BY id").fetch_all(self.db.reader()).await?;
        Ok(Catalog::new(rows.iter().map(offer_from_row).collect::<Result<Vec<_>>>()?))
    }

    /// Offers in id order, filtered by segment and family.
    #[tracing::instrument(skip_all, fields(resource = "offers"), err)]
    pub async fn list_offers(
        &self,
        segment: Option<Segment>,
        family: Option<OfferFamily>,
        page: &Page,
    ) -> Result<Vec<Offer>> {
        let rows = sqlx::query(
            "SELECT * FROM offers WHERE id > $1 AND ($2 = '' OR segment = $2) AND ($3 = '' OR family = $3) \
             ORDER BY id LIMIT $4",
        )
        .bind(&page.after)
        .bind(segment.map(Segment::as_str).unwrap_or_default())
        .bind(family.map(OfferFamily::as_str).unwrap_or_default())
        .bind(page.limit())
        .fetch_all(self.db.reader())
        .await?;
        rows.iter().map(offer_from_row).collect()
    }
}

fn offer_from_row(row: &AnyRow) -> Result<Offer> {
    Ok(Offer {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        family: OfferFamily::parse(&row.try_get::<String, _>("family")?).ok_or_else(|| corrupt("family"))?,
        segment: Segment::parse(&row.try_get::<String, _>("segment")?).ok_or_else(|| corrupt("segment"))?,
        requires_gcc: row.try_get::<i32, _>("requires_gcc")? != 0,
    })
}
