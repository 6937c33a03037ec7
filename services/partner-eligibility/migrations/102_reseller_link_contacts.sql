-- Where each side of a reseller link is told of the other's moves (NULL: nobody).
ALTER TABLE reseller_links ADD COLUMN provider_contact_email TEXT;
ALTER TABLE reseller_links ADD COLUMN reseller_contact_email TEXT;
