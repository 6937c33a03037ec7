-- Customer validation requests, validation codes and customer special qualifications.
-- Portable SQL (SQLite and PostgreSQL).

CREATE TABLE customer_validations (
    id                TEXT   PRIMARY KEY,
    partner_tenant    TEXT   NOT NULL,
    transacting_tenant TEXT  NOT NULL,
    customer_tenant   TEXT,
    organization      TEXT   NOT NULL,
    eligibility       TEXT   NOT NULL,
    state             TEXT   NOT NULL,
    due_at            BIGINT NOT NULL,
    contact_note      TEXT,
    rejection_reason  TEXT,
    reviewer          TEXT,
    validation_code   TEXT,
    submitted_at      BIGINT NOT NULL,
    decided_at        BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX customer_validations_by_partner ON customer_validations (partner_tenant, id);
CREATE INDEX customer_validations_by_transacting ON customer_validations (transacting_tenant, id);
CREATE INDEX customer_validations_by_state ON customer_validations (state, due_at);
CREATE INDEX customer_validations_by_customer ON customer_validations (customer_tenant, state);

CREATE TABLE validation_codes (
    code                TEXT    PRIMARY KEY,
    validation_id       TEXT    NOT NULL UNIQUE REFERENCES customer_validations (id),
    partner_tenant      TEXT    NOT NULL,
    transacting_tenant  TEXT    NOT NULL,
    organization_name   TEXT    NOT NULL,
    organization_domain TEXT    NOT NULL,
    total_uses          BIGINT  NOT NULL,
    remaining_uses      BIGINT  NOT NULL CHECK (remaining_uses >= 0),
    created_at          BIGINT  NOT NULL
);
CREATE INDEX validation_codes_by_partner ON validation_codes (partner_tenant, code);
CREATE INDEX validation_codes_by_transacting ON validation_codes (transacting_tenant, code);

-- One GCC special qualification per customer account.
CREATE TABLE special_qualifications (
    customer_tenant TEXT   PRIMARY KEY,
    validation_code TEXT   NOT NULL REFERENCES validation_codes (code),
    validation_id   TEXT   NOT NULL,
    granted_by      TEXT   NOT NULL,
    granted_at      BIGINT NOT NULL
);
