-- Ids as integer keys: the write path's third shape. A transaction's and a
-- coin's id is a SHA-256 hash, so that every insert into an index on it
-- lands on a page of its own; as 64 characters of text that index was the
-- largest the writer kept up, and each lookup compared text. Each table
-- now carries its id's key instead: the id's first 15 hex digits as an
-- integer (60 bits, never negative), in an index a quarter of the size.
--
--   * txs gets tx_key (txs_key replaces txs_id), coins coin_key (coins_key
--     replaces the key on coin_id), trades trade_key (for the history's
--     trade-status filter, which looks transactions up by trade id).
--   * A reader looks an id up by its key and then compares the id itself:
--     two ids may share a key.
--   * The writer computes the keys (index.IDKey); this migration computes
--     those of the rows already there in SQL, one hex digit at a time from
--     the table hex_digits, which it drops again. An id that is not hex
--     (none the chain makes) has the key 0.

-- +goose Up
CREATE TABLE hex_digits (
    d TEXT PRIMARY KEY,
    v BIGINT NOT NULL
);
INSERT INTO hex_digits (d, v) VALUES ('0', 0), ('1', 1), ('2', 2), ('3', 3), ('4', 4), ('5', 5), ('6', 6), ('7', 7),
    ('8', 8), ('9', 9), ('a', 10), ('b', 11), ('c', 12), ('d', 13), ('e', 14), ('f', 15);

ALTER TABLE txs ADD COLUMN tx_key BIGINT NOT NULL DEFAULT 0;
UPDATE txs SET tx_key = COALESCE(
      (SELECT v FROM hex_digits WHERE d = substr(tx_id,  1, 1)) * 72057594037927936
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  2, 1)) * 4503599627370496
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  3, 1)) * 281474976710656
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  4, 1)) * 17592186044416
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  5, 1)) * 1099511627776
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  6, 1)) * 68719476736
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  7, 1)) * 4294967296
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  8, 1)) * 268435456
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id,  9, 1)) * 16777216
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 10, 1)) * 1048576
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 11, 1)) * 65536
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 12, 1)) * 4096
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 13, 1)) * 256
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 14, 1)) * 16
    + (SELECT v FROM hex_digits WHERE d = substr(tx_id, 15, 1)) * 1, 0);
DROP INDEX txs_id;
CREATE INDEX txs_key ON txs (tx_key);

ALTER TABLE trades ADD COLUMN trade_key BIGINT NOT NULL DEFAULT 0;
UPDATE trades SET trade_key = COALESCE(
      (SELECT v FROM hex_digits WHERE d = substr(trade_id,  1, 1)) * 72057594037927936
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  2, 1)) * 4503599627370496
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  3, 1)) * 281474976710656
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  4, 1)) * 17592186044416
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  5, 1)) * 1099511627776
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  6, 1)) * 68719476736
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  7, 1)) * 4294967296
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  8, 1)) * 268435456
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id,  9, 1)) * 16777216
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 10, 1)) * 1048576
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 11, 1)) * 65536
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 12, 1)) * 4096
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 13, 1)) * 256
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 14, 1)) * 16
    + (SELECT v FROM hex_digits WHERE d = substr(trade_id, 15, 1)) * 1, 0);
CREATE INDEX trades_key ON trades (trade_key);

CREATE TABLE coins_v2 (
    coin_key       BIGINT NOT NULL,
    coin_id        TEXT NOT NULL,
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
INSERT INTO coins_v2 (coin_key, coin_id, chain_id, owner, token, amount, amt_hi, amt_lo, created_height, created_tx, spent_height, spent_tx)
    SELECT COALESCE((SELECT v FROM hex_digits WHERE d = substr(coin_id,  1, 1)) * 72057594037927936
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  2, 1)) * 4503599627370496
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  3, 1)) * 281474976710656
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  4, 1)) * 17592186044416
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  5, 1)) * 1099511627776
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  6, 1)) * 68719476736
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  7, 1)) * 4294967296
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  8, 1)) * 268435456
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id,  9, 1)) * 16777216
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 10, 1)) * 1048576
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 11, 1)) * 65536
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 12, 1)) * 4096
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 13, 1)) * 256
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 14, 1)) * 16
           + (SELECT v FROM hex_digits WHERE d = substr(coin_id, 15, 1)) * 1, 0),
        coin_id, chain_id, owner, token, amount, amt_hi, amt_lo, created_height, created_tx, spent_height, spent_tx FROM coins;
DROP TABLE coins;
ALTER TABLE coins_v2 RENAME TO coins;
CREATE INDEX coins_key ON coins (coin_key);

DROP TABLE hex_digits;

-- +goose Down
CREATE TABLE coins_v1 (
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
INSERT INTO coins_v1 (coin_id, chain_id, owner, token, amount, amt_hi, amt_lo, created_height, created_tx, spent_height, spent_tx)
    SELECT coin_id, chain_id, owner, token, amount, amt_hi, amt_lo, created_height, created_tx, spent_height, spent_tx FROM coins;
DROP TABLE coins;
ALTER TABLE coins_v1 RENAME TO coins;
DROP INDEX trades_key;
ALTER TABLE trades DROP COLUMN trade_key;
DROP INDEX txs_key;
ALTER TABLE txs DROP COLUMN tx_key;
CREATE INDEX txs_id ON txs (tx_id);
