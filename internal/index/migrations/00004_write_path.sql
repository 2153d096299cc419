-- The write path's second shape: what the writer maintains per payment cut
-- to what the readers need, so that the index keeps up with the chain.
--
--   * txs loses its events: a receipt's events are the node's
--     (GET /v1/txs/{id}), and as JSON they were three quarters of a
--     payment's bytes here.
--   * entries is keyed by (address, time_ns, chain_id, height, idx), the
--     order an account's history is read in, so that its key is also its
--     page index (entries_page is gone). The kind filter of an account's
--     history reads along that key (entries_kind is gone).
--   * The analyses read rollups the writer keeps by day instead of indexes
--     over every payment: payment_days (accepted payments by day, chain,
--     token, region and payee region, with their count and exact sum) and
--     active_days (each address with an entry on a day).
--   * coins keeps only its key: a coin is looked up by id; the owner's
--     and creating transaction's indexes served only `peg index verify`,
--     which reads the coins in one pass instead.

-- +goose Up
ALTER TABLE txs DROP COLUMN events;
DROP INDEX txs_payments;
DROP INDEX coins_owner;
DROP INDEX coins_created;

CREATE TABLE entries_v2 (
    address      TEXT NOT NULL,
    time_ns      BIGINT NOT NULL,
    chain_id     TEXT NOT NULL,
    height       BIGINT NOT NULL,
    idx          INTEGER NOT NULL,
    region       TEXT NOT NULL,
    tx_id        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    token        TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    amount_in    TEXT NOT NULL,
    amount_out   TEXT NOT NULL,
    net_hi       BIGINT NOT NULL,
    net_lo       BIGINT NOT NULL,
    PRIMARY KEY (address, time_ns, chain_id, height, idx)
);
INSERT INTO entries_v2 (address, time_ns, chain_id, height, idx, region, tx_id, kind, token, counterparty, amount_in, amount_out, net_hi, net_lo)
    SELECT address, time_ns, chain_id, height, idx, region, tx_id, kind, token, counterparty, amount_in, amount_out, net_hi, net_lo FROM entries;
DROP TABLE entries;
ALTER TABLE entries_v2 RENAME TO entries;
CREATE INDEX entries_counterparty_page ON entries (address, counterparty, time_ns, chain_id, height, idx);

-- payments is the count of accepted payments (kinds pay and spend_from);
-- their amounts sum to amt_hi * 1,000,000,000 + amt_lo (amt_lo may pass
-- 10^9: it is a sum).
CREATE TABLE payment_days (
    day          TEXT NOT NULL,
    chain_id     TEXT NOT NULL,
    token        TEXT NOT NULL,
    region       TEXT NOT NULL,
    payee_region TEXT NOT NULL,
    payments     BIGINT NOT NULL,
    amt_hi       BIGINT NOT NULL,
    amt_lo       BIGINT NOT NULL,
    PRIMARY KEY (day, token, region, payee_region, chain_id)
);
INSERT INTO payment_days (day, chain_id, token, region, payee_region, payments, amt_hi, amt_lo)
    SELECT day, chain_id, token, region, payee_region, COUNT(*), SUM(amt_hi), SUM(amt_lo) FROM txs
    WHERE code = 0 AND kind IN ('pay', 'spend_from') GROUP BY day, chain_id, token, region, payee_region;

CREATE TABLE active_days (
    day     TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (day, address)
);
INSERT INTO active_days (day, address)
    SELECT DISTINCT b.day, e.address FROM entries e JOIN blocks b ON b.chain_id = e.chain_id AND b.height = e.height;

-- +goose Down
DROP TABLE active_days;
DROP TABLE payment_days;
CREATE TABLE entries_v1 (
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
INSERT INTO entries_v1 SELECT address, chain_id, region, height, idx, tx_id, time_ns, kind, token, counterparty, amount_in, amount_out, net_hi, net_lo FROM entries;
DROP TABLE entries;
ALTER TABLE entries_v1 RENAME TO entries;
CREATE INDEX entries_kind ON entries (address, kind, time_ns);
CREATE INDEX entries_page ON entries (address, time_ns, chain_id, height, idx);
CREATE INDEX entries_counterparty_page ON entries (address, counterparty, time_ns, chain_id, height, idx);
CREATE INDEX entries_active ON entries (time_ns, address);
CREATE INDEX coins_created ON coins (created_tx);
CREATE INDEX coins_owner ON coins (owner, spent_height);
CREATE INDEX txs_payments ON txs (day, token, region, payee_region, amt_hi, amt_lo, kind, code) WHERE code = 0 AND kind IN ('pay', 'spend_from');
ALTER TABLE txs ADD COLUMN events TEXT NOT NULL DEFAULT '[]';
