-- Indexes for the reader (internal/index/query): each page, analysis and
-- report query reads along one of these and stops at its LIMIT, instead of
-- sorting or scanning a table. Pages are keyset pages on (time_ns,
-- chain_id, height, idx) descending; the analyses read the accepted
-- payments (code 0) by day.

-- +goose Up
CREATE INDEX txs_page ON txs (time_ns, chain_id, height, idx);
CREATE INDEX txs_token_page ON txs (token, time_ns, chain_id, height, idx);
CREATE INDEX txs_kind_page ON txs (kind, time_ns, chain_id, height, idx);
CREATE INDEX txs_region_page ON txs (region, time_ns, chain_id, height, idx);
CREATE INDEX txs_refused_page ON txs (time_ns, chain_id, height, idx) WHERE code <> 0;
CREATE INDEX txs_payments ON txs (day, token, region, payee_region, amt_hi, amt_lo, kind, code) WHERE code = 0 AND kind IN ('pay', 'spend_from');
CREATE INDEX entries_page ON entries (address, time_ns, chain_id, height, idx);
CREATE INDEX entries_counterparty_page ON entries (address, counterparty, time_ns, chain_id, height, idx);
CREATE INDEX entries_active ON entries (time_ns, address);
CREATE INDEX blocks_page ON blocks (time_ns, chain_id, height);
CREATE INDEX trades_settled ON trades (settled_ns, funded_ns);
CREATE INDEX credits_paid ON credits (paid_ns, opened_ns);
CREATE INDEX reports_period ON reports (period, name);

-- +goose Down
DROP INDEX reports_period;
DROP INDEX credits_paid;
DROP INDEX trades_settled;
DROP INDEX blocks_page;
DROP INDEX entries_active;
DROP INDEX entries_counterparty_page;
DROP INDEX entries_page;
DROP INDEX txs_payments;
DROP INDEX txs_refused_page;
DROP INDEX txs_region_page;
DROP INDEX txs_kind_page;
DROP INDEX txs_token_page;
DROP INDEX txs_page;
