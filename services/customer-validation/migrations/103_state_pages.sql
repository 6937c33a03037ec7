-- A reviewer's list by state walks that state's validations in id order, instead of
-- every validation ever submitted.

CREATE INDEX customer_validations_by_state_id ON customer_validations (state, id);
