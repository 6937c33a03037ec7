-- Reseller links (R1a): an indirect reseller transacts through an indirect provider only
-- once both agreed. Ended links stay as history.

CREATE TABLE reseller_links (
    id              TEXT   PRIMARY KEY,
    provider_tenant TEXT   NOT NULL REFERENCES partners (tenant_id),
    -- Not a reference: a provider may invite a tenant that has not enrolled yet.
    reseller_tenant TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    opened_by       TEXT   NOT NULL,
    ended_by        TEXT,
    end_reason      TEXT,
    created_at      BIGINT NOT NULL,
    activated_at    BIGINT,
    ended_at        BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX reseller_links_by_provider ON reseller_links (provider_tenant, id);
CREATE INDEX reseller_links_by_reseller ON reseller_links (reseller_tenant, id);
-- A reseller has at most one open link, whatever races the requests run.
CREATE UNIQUE INDEX reseller_links_one_open ON reseller_links (reseller_tenant) WHERE state <> 'ENDED';

-- Resellers enrolled before links existed named a provider that never agreed: they wait
-- for it now, as a request (failing closed), and the provider approves or ends it.
INSERT INTO reseller_links (id, provider_tenant, reseller_tenant, state, opened_by, created_at, updated_at)
SELECT REPLACE(tenant_id, '-', ''), indirect_provider, tenant_id, 'REQUESTED', 'RESELLER', created_at, updated_at
FROM partners WHERE partner_type = 'INDIRECT_RESELLER' AND indirect_provider IS NOT NULL;
