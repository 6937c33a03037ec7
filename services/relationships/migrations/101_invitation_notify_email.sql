-- Where the inviting partner is told when the customer accepts or ends the relationship
-- (NULL: nobody is told).
ALTER TABLE relationship_requests ADD COLUMN notify_email TEXT;
-- A relationship's accepted invitations, for the address to tell when it ends.
CREATE INDEX relationship_requests_by_customer ON relationship_requests (customer_tenant, partner_tenant);
