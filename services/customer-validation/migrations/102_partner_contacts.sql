-- Where the outcome of a customer validation is e-mailed: the submitting partner's
-- contact, and the indirect provider's contact copied when it transacts for a reseller.
-- NULL: no e-mail (rows from before these columns, or none given).
ALTER TABLE customer_validations ADD COLUMN partner_contact_email TEXT;
ALTER TABLE customer_validations ADD COLUMN provider_contact_email TEXT;
