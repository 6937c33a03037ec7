-- A provider's page of partners lists the resellers whose link to it is active, in
-- tenant order: read from this index, a page costs the same however many partners and
-- links there are.

CREATE INDEX reseller_links_active_by_provider ON reseller_links (provider_tenant, reseller_tenant) WHERE state = 'ACTIVE';
