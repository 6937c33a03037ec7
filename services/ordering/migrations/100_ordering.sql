-- The offer catalog (seeded here), orders, their lines and the subscriptions they create.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids and enum names, BIGINT microseconds and
-- counts, INTEGER 0/1 booleans.

CREATE TABLE offers (
    id           TEXT    PRIMARY KEY,
    display_name TEXT    NOT NULL,
    family       TEXT    NOT NULL,
    segment      TEXT    NOT NULL,
    requires_gcc INTEGER NOT NULL
);

-- An order belongs to the partner that placed it; an indirect reseller's order also names
-- the reseller's indirect provider, which sees it too.
CREATE TABLE orders (
    id              TEXT    PRIMARY KEY,
    partner_tenant  TEXT    NOT NULL,
    provider_tenant TEXT,
    customer_tenant TEXT    NOT NULL,
    placed_by       TEXT    NOT NULL,
    gcc_checked     INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX orders_by_partner ON orders (partner_tenant, id);
CREATE INDEX orders_by_provider ON orders (provider_tenant, id);

CREATE TABLE subscriptions (
    id              TEXT   PRIMARY KEY,
    order_id        TEXT   NOT NULL REFERENCES orders (id),
    partner_tenant  TEXT   NOT NULL,
    provider_tenant TEXT,
    customer_tenant TEXT   NOT NULL,
    offer_id        TEXT   NOT NULL REFERENCES offers (id),
    quantity        BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_partner ON subscriptions (partner_tenant, id);
CREATE INDEX subscriptions_by_provider ON subscriptions (provider_tenant, id);

CREATE TABLE order_lines (
    order_id        TEXT   NOT NULL REFERENCES orders (id),
    line_no         BIGINT NOT NULL,
    offer_id        TEXT   NOT NULL REFERENCES offers (id),
    quantity        BIGINT NOT NULL,
    subscription_id TEXT   NOT NULL UNIQUE REFERENCES subscriptions (id),
    PRIMARY KEY (order_id, line_no)
);

-- R21: the catalog. Government offers need GCC eligibility (R18); one validation covers
-- all four families (R6). Commercial offers are not gated.
INSERT INTO offers (id, display_name, family, segment, requires_gcc) VALUES
    ('o365-g1-gcc', 'Office 365 G1 GCC', 'OFFICE_365', 'GOVERNMENT', 1),
    ('o365-g3-gcc', 'Office 365 G3 GCC', 'OFFICE_365', 'GOVERNMENT', 1),
    ('o365-g5-gcc', 'Office 365 G5 GCC', 'OFFICE_365', 'GOVERNMENT', 1),
    ('m365-g3-gcc', 'Microsoft 365 G3 GCC', 'OFFICE_365', 'GOVERNMENT', 1),
    ('m365-g5-gcc', 'Microsoft 365 G5 GCC', 'OFFICE_365', 'GOVERNMENT', 1),
    ('d365-sales-enterprise-gcc', 'Dynamics 365 Sales Enterprise for Government', 'DYNAMICS_365', 'GOVERNMENT', 1),
    ('d365-customer-service-enterprise-gcc', 'Dynamics 365 Customer Service Enterprise for Government', 'DYNAMICS_365', 'GOVERNMENT', 1),
    ('ems-e3-gcc', 'Enterprise Mobility + Security E3 for Government', 'EMS', 'GOVERNMENT', 1),
    ('ems-e5-gcc', 'Enterprise Mobility + Security E5 for Government', 'EMS', 'GOVERNMENT', 1),
    ('power-bi-pro-gcc', 'Power BI Pro for Government', 'POWER_BI', 'GOVERNMENT', 1),
    ('o365-e3', 'Office 365 E3', 'OFFICE_365', 'COMMERCIAL', 0),
    ('m365-business-premium', 'Microsoft 365 Business Premium', 'OFFICE_365', 'COMMERCIAL', 0),
    ('d365-sales-enterprise', 'Dynamics 365 Sales Enterprise', 'DYNAMICS_365', 'COMMERCIAL', 0),
    ('ems-e3', 'Enterprise Mobility + Security E3', 'EMS', 'COMMERCIAL', 0),
    ('power-bi-pro', 'Power BI Pro', 'POWER_BI', 'COMMERCIAL', 0);
