-- Most orders have no indirect provider. Indexing only those that do keeps every direct
-- order from writing an index entry nobody looks up: a lookup by provider
-- (`provider_tenant = $n`) implies `provider_tenant IS NOT NULL`, so it still uses them.

DROP INDEX orders_by_provider;
CREATE INDEX orders_by_provider ON orders (provider_tenant, id) WHERE provider_tenant IS NOT NULL;

DROP INDEX subscriptions_by_provider;
CREATE INDEX subscriptions_by_provider ON subscriptions (provider_tenant, id) WHERE provider_tenant IS NOT NULL;
