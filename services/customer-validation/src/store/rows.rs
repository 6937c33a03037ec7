//! Stored rows back into domain objects.

use gcc_platform::TenantId;
use gcc_platform::db::{corrupt_column as corrupt, tenant_column as tenant};
use gcc_platform::time::from_micros;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::*;

use super::Result;

pub(super) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub(super) fn decode_json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    Ok(serde_json::from_str(&row.try_get::<String, _>(col)?).map_err(|_| corrupt(col))?)
}

pub(super) fn validation_from_row(row: &AnyRow) -> Result<CustomerValidation> {
    Ok(CustomerValidation {
        id: row.try_get("id")?,
        partner: tenant(row, "partner_tenant")?,
        transacting: tenant(row, "transacting_tenant")?,
        customer: row
            .try_get::<Option<String>, _>("customer_tenant")?
            .map(|s| TenantId::parse(&s))
            .transpose()
            .map_err(|_| corrupt("customer_tenant"))?,
        organization: decode_json(row, "organization")?,
        eligibility: decode_json(row, "eligibility")?,
        state: ValidationState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?,
        due_at: from_micros(row.try_get("due_at")?),
        contact_note: row.try_get("contact_note")?,
        rejection_reason: row.try_get("rejection_reason")?,
        reviewer: row.try_get("reviewer")?,
        validation_code: row.try_get("validation_code")?,
        submitted_at: from_micros(row.try_get("submitted_at")?),
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_micros),
        updated_at: from_micros(row.try_get("updated_at")?),
        partner_contact_email: row.try_get("partner_contact_email")?,
        provider_contact_email: row.try_get("provider_contact_email")?,
    })
}

pub(super) fn code_from_row(row: &AnyRow) -> Result<ValidationCode> {
    Ok(ValidationCode {
        code: row.try_get("code")?,
        validation_id: row.try_get("validation_id")?,
        partner: tenant(row, "partner_tenant")?,
        transacting: tenant(row, "transacting_tenant")?,
        organization_name: row.try_get("organization_name")?,
        organization_domain: row.try_get("organization_domain")?,
        total_uses: i32::try_from(row.try_get::<i64, _>("total_uses")?).map_err(|_| corrupt("total_uses"))?,
        remaining_uses: i32::try_from(row.try_get::<i64, _>("remaining_uses")?)
            .map_err(|_| corrupt("remaining_uses"))?,
        created_at: from_micros(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_micros),
    })
}
