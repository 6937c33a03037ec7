-- A reviewer's list by state walks that state's validations in id order, instead of
-- every validation of that state ever submitted, sorted.

CREATE INDEX partner_validations_by_state_id ON partner_validations (state, id);
