-- Tables every service database has: idempotency records, the audit trail and the
-- outbox. Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE idempotency (
    scope        TEXT   NOT NULL,
    request_id   TEXT   NOT NULL,
    request_hash TEXT   NOT NULL,
    response     TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, request_id)
);

-- Append-only: the code has no UPDATE or DELETE for it.
CREATE TABLE audit_log (
    id            TEXT   PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_subject TEXT   NOT NULL,
    actor_tenant  TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    target        TEXT   NOT NULL,
    outcome       TEXT   NOT NULL,
    detail        TEXT   NOT NULL,
    trace_id      TEXT   NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target, at);

CREATE TABLE outbox (
    id           TEXT   PRIMARY KEY,
    topic        TEXT   NOT NULL,
    aggregate    TEXT   NOT NULL,
    payload      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX outbox_unpublished ON outbox (published_at, id);
