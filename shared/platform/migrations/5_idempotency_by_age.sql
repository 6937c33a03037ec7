-- Idempotency records are forgotten after a retention period; pruning finds them by age.

CREATE INDEX idempotency_by_age ON idempotency (created_at);
