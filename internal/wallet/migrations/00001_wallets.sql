-- The wallet server's first schema. One file serves SQLite and PostgreSQL:
-- only types and statements both accept. Amounts are minor units as decimal
-- text (a token's amount is a 128-bit integer, beyond SQL's BIGINT); times
-- are Unix milliseconds.

-- +goose Up
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE wallets (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL,
    address TEXT NOT NULL UNIQUE,
    sealed  TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE member_balances (
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    token     TEXT NOT NULL,
    units     TEXT NOT NULL,
    PRIMARY KEY (wallet_id, token)
);

CREATE TABLE idempotency (
    scope     TEXT NOT NULL,
    key       TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status    INTEGER NOT NULL,
    response  TEXT NOT NULL,
    created   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE deposits (
    id        TEXT PRIMARY KEY,
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    token     TEXT NOT NULL,
    units     TEXT NOT NULL,
    platform  TEXT NOT NULL,
    reference TEXT NOT NULL,
    created   BIGINT NOT NULL
);

CREATE TABLE moves (
    id        TEXT PRIMARY KEY,
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    token     TEXT NOT NULL,
    units     TEXT NOT NULL,
    tx_id     TEXT NOT NULL UNIQUE,
    raw       TEXT NOT NULL,
    expiry    BIGINT NOT NULL,
    status    TEXT NOT NULL,
    height    BIGINT NOT NULL,
    message   TEXT NOT NULL,
    idem_key  TEXT NOT NULL,
    created   BIGINT NOT NULL
);
CREATE INDEX moves_status ON moves (status);

CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    wallet_id    TEXT NOT NULL REFERENCES wallets (id),
    source       TEXT NOT NULL,
    direction    TEXT NOT NULL,
    token        TEXT NOT NULL,
    units        TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    kind         TEXT NOT NULL,
    tx_id        TEXT NOT NULL,
    height       BIGINT NOT NULL,
    reference    TEXT NOT NULL,
    time         BIGINT NOT NULL
);
CREATE INDEX records_wallet ON records (wallet_id, time, id);

CREATE TABLE checkouts (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES wallets (id),
    token       TEXT NOT NULL,
    units       TEXT NOT NULL,
    reference   TEXT NOT NULL,
    expires     BIGINT NOT NULL,
    address     TEXT NOT NULL UNIQUE,
    sealed      TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    status      TEXT NOT NULL,
    received    TEXT NOT NULL,
    tx_id       TEXT NOT NULL,
    height      BIGINT NOT NULL,
    settled     BIGINT NOT NULL,
    created     BIGINT NOT NULL
);
CREATE INDEX checkouts_status ON checkouts (status, expires);

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    checkout_id  TEXT NOT NULL REFERENCES checkouts (id),
    type         TEXT NOT NULL,
    url          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created      BIGINT NOT NULL,
    attempts     INTEGER NOT NULL,
    next_attempt BIGINT NOT NULL,
    delivered    BIGINT NOT NULL,
    last_error   TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivered, next_attempt);

-- +goose Down
DROP TABLE outbox;
DROP TABLE checkouts;
DROP TABLE records;
DROP TABLE moves;
DROP TABLE deposits;
DROP TABLE idempotency;
DROP TABLE member_balances;
DROP TABLE wallets;
DROP TABLE meta;
