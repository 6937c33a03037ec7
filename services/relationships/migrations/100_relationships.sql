-- Customer accounts, who manages them, and the invitations that connect them.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids and enum names, BIGINT microseconds,
-- INTEGER 0/1 booleans.

CREATE TABLE customers (
    tenant_id           TEXT   PRIMARY KEY,
    legal_name          TEXT   NOT NULL,
    -- The legal name folded to lower case, for prefix filters that ignore case.
    name_key            TEXT   NOT NULL,
    domain              TEXT   NOT NULL,
    region_code         TEXT   NOT NULL,
    administrative_area TEXT   NOT NULL,
    locality            TEXT   NOT NULL,
    postal_code         TEXT   NOT NULL,
    -- A JSON array of 1 to 3 strings.
    address_lines       TEXT   NOT NULL,
    contact_email       TEXT   NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_domain ON customers (domain);

-- One row per partner and customer; `active` says whether the partner manages it now.
-- `provider_tenant` is the indirect provider of an indirect reseller, which manages the
-- customer through it.
CREATE TABLE relationships (
    partner_tenant  TEXT    NOT NULL,
    customer_tenant TEXT    NOT NULL REFERENCES customers (tenant_id),
    provider_tenant TEXT,
    active          INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (partner_tenant, customer_tenant)
);
-- CheckCustomerManagement, the order gate's hot path, reads by customer.
CREATE INDEX relationships_by_customer ON relationships (customer_tenant, active);
CREATE INDEX relationships_by_provider ON relationships (provider_tenant, customer_tenant);

-- Reseller relationship requests (R14). The state is INVITED, ACCEPTED or REVOKED;
-- EXPIRED is INVITED past `expire_at`. The e-mail body keeps the link as a placeholder.
CREATE TABLE relationship_requests (
    id              TEXT   PRIMARY KEY,
    partner_tenant  TEXT   NOT NULL,
    provider_tenant TEXT,
    bound_tenant    TEXT,
    bound_domain    TEXT,
    state           TEXT   NOT NULL,
    generation      BIGINT NOT NULL,
    email_subject   TEXT   NOT NULL,
    email_body      TEXT   NOT NULL,
    expire_at       BIGINT NOT NULL,
    customer_tenant TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX relationship_requests_by_partner ON relationship_requests (partner_tenant, id);

-- The SHA-256 of every link token ever issued (never the token): the current one
-- accepts, an older generation tells that the link was replaced.
CREATE TABLE invitation_links (
    token_hash TEXT   PRIMARY KEY,
    request_id TEXT   NOT NULL REFERENCES relationship_requests (id),
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX invitation_links_by_request ON invitation_links (request_id, generation);
