-- The index's first schema: what a region's committed blocks did, for
-- queries, analytics and published reports. One file serves SQLite and
-- PostgreSQL: only types and statements both accept.
--
-- Conventions:
--   * A row names its chain (chain_id) and region; one database may hold
--     several regions. A transaction is (chain_id, height, idx).
--   * Times are block times in Unix nanoseconds (time_ns); day is the block's
--     UTC date, 'YYYY-MM-DD' (its first seven characters are the month).
--   * An amount is a token's minor units. amount is the exact decimal text
--     (a token's amount is a 128-bit integer, beyond SQL's BIGINT); amt_hi and
--     amt_lo split it as amt_hi * 1,000,000,000 + amt_lo so that SQL can sum
--     it exactly (the reader adds SUM(amt_hi) * 10^9 + SUM(amt_lo)) and
--     compare it ((amt_hi, amt_lo) in order). An amount of 9.2 * 10^27 minor
--     units or more does not fit; the writer refuses it rather than store it
--     wrong.
--   * Addresses, ids and hashes are the text the API prints.
--   * The indexes the readers page along (keyset on time, chain, height and
--     index) are in 00003; each index costs every write, so there is no
--     index here that one of those covers.

-- +goose Up
-- One row per chain the database follows: how far it is indexed, and the
-- hash of that block, so that a chain rolled back or replaced is detected
-- and refused rather than mixed in. Written in the same SQL transaction as
-- the block's rows.
CREATE TABLE chains (
    chain_id   TEXT PRIMARY KEY,
    region     TEXT NOT NULL,
    height     BIGINT NOT NULL,
    block_hash TEXT NOT NULL,
    time_ns    BIGINT NOT NULL
);

CREATE TABLE blocks (
    chain_id TEXT NOT NULL,
    height   BIGINT NOT NULL,
    time_ns  BIGINT NOT NULL,
    day      TEXT NOT NULL,
    hash     TEXT NOT NULL,
    app_hash TEXT NOT NULL,
    proposer TEXT NOT NULL,
    txs      INTEGER NOT NULL,
    PRIMARY KEY (chain_id, height)
);

-- Every transaction a block carried, accepted (code 0) or refused, with
-- what it moved: token, amount (to others than the signer, for a payment),
-- its payer and its first payee, and the payee's region for a payment to
-- another region (the corridor is region -> payee_region). events is the
-- receipt's events as JSON ([{"type":..,"attrs":{..}}]).
CREATE TABLE txs (
    chain_id     TEXT NOT NULL,
    region       TEXT NOT NULL,
    height       BIGINT NOT NULL,
    idx          INTEGER NOT NULL,
    tx_id        TEXT NOT NULL,
    time_ns      BIGINT NOT NULL,
    day          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    signer       TEXT NOT NULL,
    code         INTEGER NOT NULL,
    code_name    TEXT NOT NULL,
    token        TEXT NOT NULL,
    amount       TEXT NOT NULL,
    amt_hi       BIGINT NOT NULL,
    amt_lo       BIGINT NOT NULL,
    payer        TEXT NOT NULL,
    payee        TEXT NOT NULL,
    payee_region TEXT NOT NULL,
    fee          TEXT NOT NULL,
    events       TEXT NOT NULL,
    PRIMARY KEY (chain_id, height, idx)
);
CREATE INDEX txs_id ON txs (tx_id);

-- One row per accepted transaction and address it touched: what the
-- address received (amount_in) and spent (amount_out) in it, and who was on
-- the other side. An account's history is a range of this table.
CREATE TABLE entries (
    address      TEXT NOT NULL,
    chain_id     TEXT NOT NULL,
    region       TEXT NOT NULL,
    height       BIGINT NOT NULL,
    idx          INTEGER NOT NULL,
    tx_id        TEXT NOT NULL,
    time_ns      BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    token        TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    amount_in    TEXT NOT NULL,
    amount_out   TEXT NOT NULL,
    net_hi       BIGINT NOT NULL,
    net_lo       BIGINT NOT NULL,
    PRIMARY KEY (address, chain_id, height, idx)
);
CREATE INDEX entries_kind ON entries (address, kind, time_ns);

-- Every coin: created by a transaction, spent by another (or not yet).
CREATE TABLE coins (
    coin_id        TEXT PRIMARY KEY,
    chain_id       TEXT NOT NULL,
    owner          TEXT NOT NULL,
    token          TEXT NOT NULL,
    amount         TEXT NOT NULL,
    amt_hi         BIGINT NOT NULL,
    amt_lo         BIGINT NOT NULL,
    created_height BIGINT NOT NULL,
    created_tx     TEXT NOT NULL,
    spent_height   BIGINT,
    spent_tx       TEXT
);
CREATE INDEX coins_owner ON coins (owner, spent_height);
CREATE INDEX coins_created ON coins (created_tx);

-- A token's supply and reserve over time: one row per mint, redemption,
-- seizure, transfer out of or into the region, attestation and reserve
-- status change, with the token's supply and last attested reserve after
-- it (supply and reserve as decimals of the token and of its currency).
CREATE TABLE token_events (
    chain_id TEXT NOT NULL,
    height   BIGINT NOT NULL,
    idx      INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    time_ns  BIGINT NOT NULL,
    day      TEXT NOT NULL,
    token    TEXT NOT NULL,
    type     TEXT NOT NULL,
    tx_id    TEXT NOT NULL,
    address  TEXT NOT NULL,
    amount   TEXT NOT NULL,
    supply   TEXT NOT NULL,
    reserve  TEXT NOT NULL,
    required TEXT NOT NULL,
    currency TEXT NOT NULL,
    status   TEXT NOT NULL,
    PRIMARY KEY (chain_id, height, idx, seq)
);
CREATE INDEX token_events_time ON token_events (token, time_ns);

-- Trades and credit requests as they stand, with the times of their steps,
-- for status queries and settlement-time distributions. opened_ns is the
-- offer (the request); settled_ns the release to the seller (the payment to
-- the payee); closed_ns the end, however it ended.
CREATE TABLE trades (
    trade_id   TEXT PRIMARY KEY,
    chain_id   TEXT NOT NULL,
    buyer      TEXT NOT NULL,
    seller     TEXT NOT NULL,
    token      TEXT NOT NULL,
    amount     TEXT NOT NULL,
    status     TEXT NOT NULL,
    opened_ns  BIGINT NOT NULL,
    funded_ns  BIGINT,
    settled_ns BIGINT,
    closed_ns  BIGINT
);
CREATE INDEX trades_status ON trades (status, opened_ns);

CREATE TABLE credits (
    request_id TEXT PRIMARY KEY,
    chain_id   TEXT NOT NULL,
    node       TEXT NOT NULL,
    payer      TEXT NOT NULL,
    payee      TEXT NOT NULL,
    amount     TEXT NOT NULL,
    status     TEXT NOT NULL,
    opened_ns  BIGINT NOT NULL,
    paid_ns    BIGINT,
    repaid_ns  BIGINT
);
CREATE INDEX credits_status ON credits (status, opened_ns);

-- Published reports: what each covers, its body and the SHA-256 of the
-- body, so that anyone holding the file can check it.
CREATE TABLE reports (
    name      TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    period    TEXT NOT NULL,
    height    BIGINT NOT NULL,
    chain_ids TEXT NOT NULL,
    created   BIGINT NOT NULL,
    sha256    TEXT NOT NULL,
    body      TEXT NOT NULL
);

-- +goose Down
DROP TABLE reports;
DROP TABLE credits;
DROP TABLE trades;
DROP TABLE token_events;
DROP TABLE coins;
DROP TABLE entries;
DROP TABLE txs;
DROP TABLE blocks;
DROP TABLE chains;
