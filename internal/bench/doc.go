// Package bench is Peg's load generator, the library behind `peg bench`. It
// funds accounts on a network, pre-signs payments between them, submits them
// through the REST API like any client, and measures what the ledger commits.
// Every figure but the two resource figures comes from what a client sees over
// the API; none is read from inside the node.
//
// # Setup
//
// On a network it starts itself (StartLocal), the bench generates the roles'
// keys in memory; against a running one (Target.URL) it is given them. It
// deploys a fresh token (id "bench-" and 8 random hex digits, 2 decimals,
// transfers open to anyone, a fiat account of the Other scheme that no bank
// holds), attests a reserve that covers every coin it will mint, and funds K
// generated accounts. Account a makes P(a) of the N payments (N/K, the first
// N mod K one more), and each of its payments spends a coin of its own
// worth LeafUnits, so that no two payments spend the same coin:
//
//   - one mint per account creates a coin worth P(a) leaves;
//   - fan-out payments by the account to itself split coins into up to
//     tx.MaxOutputs coins each, a level at a time (a level waits for the block
//     of the one before, since the mempool checks a payment against committed
//     coins only), until the account holds P(a) coins of one leaf each:
//     ⌈log16 P(a)⌉ levels and about P(a)/15 payments.
//
// Coin ids derive from transaction ids, so every input of every payment is
// known when it is signed. The N bench payments are signed before the clock
// starts: account a's i-th payment spends its i-th leaf and pays account
// a+1+i (mod K); they are interleaved round-robin over the accounts, and a
// payment is one of the Mix fraction with change (one input, payee and change
// outputs: 0.40 to the payee, 0.60 back) or exact (one input, one output of
// the whole leaf). Every transaction has its own nonce and expires
// MaxExpiryDelta blocks after the height at which it was signed, the most the
// chain allows.
//
// # Submission
//
// Config.Workers submitters take the payments in order, Config.Batch at a
// time (fewer when they would pack into more than a batch holds,
// tx.MaxBatchSize), and POST each chunk to /v1/txs/batch with wait=false (the gateway
// packs it into one consensus transaction): a payment is admitted when its
// result says pending. With Batch = 1 each payment is POSTed alone to
// /v1/txs and is admitted when the API answers 202. With Rate > 0 payment i
// is due at start + i/Rate and no submitter sends the chunk that starts with
// it earlier; with Rate = 0 they send back to back. A fixed rate needs enough submitters to
// keep up: the result reports how late the latest payment was sent against
// its schedule. A payment refused with 503 UNAVAILABLE (the node's mempool is
// full; for a batch, the whole request) is sent again once the follower has
// read the next block, since the node makes room when a block commits (or
// after a second without one), and keeps its first submit time; the retries
// are counted. Any other refusal is an admission rejection.
//
// # What is measured
//
//   - Submit time: when the first POST of the payment starts.
//   - Commit time of a block: when the follower first sees GET /v1/status
//     report a height at or above the block's. The follower polls every
//     FollowInterval, so a commit time is late by at most that and a request.
//     The status is that of the state the API reads, so a block counts as
//     committed when its receipts can be read: later than CometBFT's block
//     store has it. The follower reads each committed block
//     (GET /v1/blocks/{height}) for the ids it holds.
//   - Committed payment: a bench payment in a committed block whose receipt
//     (GET /v1/txs/{id}, read after the drain) says OK. With ReceiptSample
//     below the number included, only that many receipts, chosen at random,
//     are read, and the rest are taken as OK; the balance check below still
//     covers them all.
//   - Latency of a committed payment: its block's commit time − its submit
//     time. Percentiles are by nearest rank.
//   - Bench blocks: the heights from F, the first block holding a bench
//     payment, to L, the last, empty blocks between them included; payments
//     per block is committed payments ÷ bench blocks.
//   - Steady window: blocks F+1 … L−1, committed payments in them ÷ (commit
//     time of L−1 − commit time of F). Block F is left out because it holds
//     the ramp-up (its payments arrived from the first submission on, before
//     the window can be said to start); block L because it holds the drain's
//     tail. When L − F < 2 there is no steady window.
//   - Overall rate: committed payments ÷ (commit time of L − first submit
//     time).
//   - Rejections by result code name: at admission (the API's answer) and in
//     the block (the receipt). A payment admitted but in no block when the
//     drain ends (Drain after the last submission) is uncommitted.
//   - Balance check: after the drain every bench account's balance and coin
//     count are compared with what the committed payments imply.
//   - Peak RSS: VmHWM of /proc/self/status, for a network in this process
//     only, so it is the peak of node and generator together (the
//     pre-signed payments and the setup included) over the whole process.
//   - State bytes per unspent coin: the size of every file under the node's
//     data/app (Pebble's tables, WAL and manifest) after the drain ÷ the
//     unspent coins the bench accounts hold. On a network of its own the
//     bench's coins are all the coins there are, but the state also holds
//     every receipt and the token's records, so it is the whole state's cost
//     per live coin, not that of a coin record alone. Not measured against a
//     running network.
//
// # Regions
//
// RunRegions (`peg bench --regions N`) loads N regions of a network, each
// its own chain (StartRegions: GB, HK, …, a single validator each, the
// network in every genesis), with an in-process relayer (internal/relay,
// RegionsConfig.RelayWorkers transfers at once, a pass every
// RegionsConfig.RelayInterval). The token is deployed, attested and minted in
// the first region; the relayer imports it into the others (token_import).
// Each region has Accounts accounts and makes its share of the Payments
// (shares of N): the first region's accounts are minted their leaves; for
// each account of another region a key of the first is minted a coin, pays
// it to the account (an outbound transfer) and the relayer delivers it; each
// region then fans its accounts' coins out into leaves as above. The
// payments are signed as above, a Cross fraction of each region's (spread as
// the ones with change are) paying an account of the next region instead;
// every region's submitters start together, each region at Rate ÷ N.
//
// A payment is complete when its payee's coin exists: within a region, when
// its block is committed (as above); across regions, when the block of the
// payee's region that holds the relayer's transfer_in is committed, as that
// region's follower sees it (the relayer reports each transfer_in once a
// block has taken it; the follower finds its block). Each region's
// payments are counted on its chain as above; then the complete payments/s
// over all regions: overall from the first submission to the last
// completion, steady from the completion of the 10th percentile to that of
// the 90th; latency apart for the payments within a region (submit →
// commit) and across (submit → the payee's coin). The balance check covers
// every account of every region (a cross-region payment's coin counted in
// its payee's region once delivered), and the network audit
// (relay.AuditNetwork) checks conservation across the regions after the
// drain.
//
// The generator shares the machine with the node: on an in-process network
// its submitters, its follower and the API they call take CPU the ledger would
// otherwise have. Signing happens before the clock starts.
package bench
