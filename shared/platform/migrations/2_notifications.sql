-- E-mail notifications, made from outbox events by the relay (in the transaction that
-- marks the event relayed, keyed by the event ID) and sent by the mail sender. Portable
-- SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE notifications (
    -- `<event id>.<n>`: the Message-ID's local part, so a re-send is recognisable.
    id              TEXT    PRIMARY KEY,
    event_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    -- The resource it is about, such as partnerValidations/{id}.
    about           TEXT    NOT NULL,
    -- The tenant it is for (who may list it), empty for the reviewers' own mail.
    tenant          TEXT    NOT NULL,
    -- JSON: {"to": [...], "cc": [...]}.
    recipients      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    -- PENDING, SENT, FAILED (permanent failure or attempts exhausted), LOGGED (no mail
    -- transport configured: logged, not sent).
    state           TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL,
    last_error      TEXT,
    next_attempt_at BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_about ON notifications (about, created_at);
CREATE INDEX notifications_tenant ON notifications (tenant, created_at);

-- Every delivery attempt: when, and what the server (or the connection) answered.
CREATE TABLE notification_attempts (
    notification_id TEXT    NOT NULL,
    attempt         BIGINT  NOT NULL,
    at              BIGINT  NOT NULL,
    outcome         TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    PRIMARY KEY (notification_id, attempt)
);
