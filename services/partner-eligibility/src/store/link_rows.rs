//! Reseller links' rows: a row read back as a [`ResellerLink`], and an address as stored.

use gcc_platform::contact::EmailAddress;
use gcc_platform::db::{corrupt_column as corrupt, tenant_column as tenant};
use gcc_platform::time::from_micros;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Result;
use crate::domain::{LinkState, ResellerLink, Side};

pub(super) fn email(e: &Option<EmailAddress>) -> Option<String> {
    e.as_ref().map(|e| e.as_str().to_owned())
}

pub(super) fn link_from_row(row: &AnyRow) -> Result<ResellerLink> {
    let side = |col: &str| -> Result<Option<Side>> {
        row.try_get::<Option<String>, _>(col)?.map(|s| Side::parse(&s).ok_or_else(|| corrupt(col).into())).transpose()
    };
    let contact = |col: &str| -> Result<Option<EmailAddress>> {
        row.try_get::<Option<String>, _>(col)?
            .map(|s| EmailAddress::parse(&s).ok_or_else(|| corrupt(col).into()))
            .transpose()
    };
    Ok(ResellerLink {
        id: row.try_get("id")?,
        provider: tenant(row, "provider_tenant")?,
        reseller: tenant(row, "reseller_tenant")?,
        state: LinkState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?,
        opened_by: side("opened_by")?.ok_or_else(|| corrupt("opened_by"))?,
        ended_by: side("ended_by")?,
        end_reason: row.try_get("end_reason")?,
        created_at: from_micros(row.try_get("created_at")?),
        activated_at: row.try_get::<Option<i64>, _>("activated_at")?.map(from_micros),
        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(from_micros),
        updated_at: from_micros(row.try_get("updated_at")?),
        provider_contact: contact("provider_contact_email")?,
        reseller_contact: contact("reseller_contact_email")?,
    })
}
