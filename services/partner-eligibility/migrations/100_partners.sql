-- Partners, their GCC validation requests and reseller qualifications.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids and enum names, BIGINT microseconds.

CREATE TABLE partners (
    tenant_id           TEXT   PRIMARY KEY,
    legal_name          TEXT   NOT NULL,
    partner_type        TEXT   NOT NULL,
    azure_gcc_tenant_id TEXT,
    indirect_provider   TEXT   REFERENCES partners (tenant_id),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX partners_by_provider ON partners (indirect_provider);

CREATE TABLE partner_validations (
    id                   TEXT   PRIMARY KEY,
    partner_tenant       TEXT   NOT NULL REFERENCES partners (tenant_id),
    tenant_id            TEXT   NOT NULL,
    qualifying_basis     TEXT   NOT NULL,
    contact_email        TEXT   NOT NULL,
    details              TEXT   NOT NULL,
    state                TEXT   NOT NULL,
    due_at               BIGINT NOT NULL,
    information_request  TEXT,
    information_response TEXT,
    rejection_reason     TEXT,
    reviewer             TEXT,
    submitted_at         BIGINT NOT NULL,
    decided_at           BIGINT,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX partner_validations_by_partner ON partner_validations (partner_tenant, id);
CREATE INDEX partner_validations_by_state ON partner_validations (state, due_at);
-- At most one open review per partner, whatever races the submissions run.
CREATE UNIQUE INDEX partner_validations_one_open
    ON partner_validations (partner_tenant)
    WHERE state IN ('PENDING_REVIEW', 'INFORMATION_REQUESTED');

CREATE TABLE partner_qualifications (
    partner_tenant TEXT   NOT NULL REFERENCES partners (tenant_id),
    qualification  TEXT   NOT NULL,
    validation_id  TEXT   NOT NULL REFERENCES partner_validations (id),
    granted_at     BIGINT NOT NULL,
    PRIMARY KEY (partner_tenant, qualification)
);
