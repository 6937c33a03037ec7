-- R12 revised: at most one open validation per organization domain and transacting
-- partner, and validation codes that expire.

ALTER TABLE customer_validations ADD COLUMN organization_domain TEXT NOT NULL DEFAULT '';
-- Rows from before this column have '' and are left out: they were accepted under the old rule.
CREATE UNIQUE INDEX customer_validations_one_open_per_organization
    ON customer_validations (transacting_tenant, organization_domain)
    WHERE state IN ('PENDING_REVIEW', 'CONTACTING_CUSTOMER') AND organization_domain <> '';

-- NULL for codes issued before codes expired: they keep their old meaning.
ALTER TABLE validation_codes ADD COLUMN expires_at BIGINT;
