-- What the writer keeps between blocks beyond the rows readers query, in
-- the same SQL transaction as the block that changed it, so that a writer
-- resumes from the database alone.

-- +goose Up
-- A token's standing in one chain after the last indexed block: its supply
-- in minor units (minted less redeemed: zero in a region the token was
-- imported into), its last attested reserve (a decimal of its currency,
-- "" before the first attestation) and reserve status ("" before the
-- first).
CREATE TABLE index_tokens (
    chain_id TEXT NOT NULL,
    token    TEXT NOT NULL,
    supply   TEXT NOT NULL,
    reserve  TEXT NOT NULL,
    status   TEXT NOT NULL,
    PRIMARY KEY (chain_id, token)
);

-- The token each credit node lends, from its credit.node event: a credit
-- payment's events name the node, not the token.
CREATE TABLE index_credit_nodes (
    chain_id TEXT NOT NULL,
    node     TEXT NOT NULL,
    token    TEXT NOT NULL,
    PRIMARY KEY (chain_id, node)
);

-- +goose Down
DROP TABLE index_credit_nodes;
DROP TABLE index_tokens;
