-- A tenant's notifications are listed newest first by ID: an index on (tenant, id) reads
-- one page of them whatever the size of the table, where (tenant, created_at) made the
-- page walk the whole table in ID order and keep the tenant's rows.

CREATE INDEX notifications_tenant_pages ON notifications (tenant, id);
DROP INDEX notifications_tenant;
