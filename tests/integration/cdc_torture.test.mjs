// The short CI variant of bench/torture.sh (issue 12 item 4): the random workload into the S3 test server behind the
// fault proxy, pgs3 killed with SIGKILL at a few random instants and started again, the S3 server and PostgreSQL
// restarted once each under a running pgs3, a TRUNCATE (not with PreserveTransactions) and an ALTER TABLE ADD COLUMN
// between trials, then every table rebuilt from the bucket must equal the source, with no change written twice,
// none lost and no multipart upload left open. Parquet, and CSV with PreserveTransactions.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { testSeed } from './harness/cdc.mjs';
import { assertPgs3Works } from './harness/pgs3.mjs';
import { runTorture } from './harness/torture.mjs';

const KILLS = Number(process.env.PGS3_TORTURE_KILLS ?? 4);

before(() => assertPgs3Works());

function assertExact(f) {
  assert.deepEqual(f.problems, [], `${f.label} (seed ${f.seed}): the rebuilt tables differ from the source`);
  assert.equal(f.tablesEqual, f.tables);
  assert.equal(f.duplicates, 0);
  assert.equal(f.losses, 0);
  assert.equal(f.openUploads, 0, 'no multipart upload left open');
  assert.equal(Object.values(f.kills).reduce((a, b) => a + b, 0), KILLS);
  assert.equal(f.pgRestarts, 1);
  assert.equal(f.s3Restarts, 1);
  assert.ok(f.events.includes('ALTER TABLE orders ADD COLUMN'), `events: ${f.events}`);
}

test('TortureParquetKillsRestartsTruncateAndAddColumnRebuildExactly', { timeout: 600000 }, async () => {
  const label = 'torture-parquet';
  const f = await runTorture({ kills: KILLS, seed: testSeed(label), label, s3Settings: { DataFormat: 'parquet' },
    rows: { orders: 5000, docs: 100, kinds: 500 } });
  assert.ok(f.events.includes('TRUNCATE kinds'), `events: ${f.events}`);
  assertExact(f);
});

test('TortureCsvPreserveTransactionsKillsRestartsAndAddColumnRebuildExactly', { timeout: 600000 }, async () => {
  const label = 'torture-csv-txn';
  assertExact(await runTorture({ kills: KILLS, seed: testSeed(label), label,
    s3Settings: { DataFormat: 'csv', PreserveTransactions: true, CdcPath: 'cdc' },
    rows: { orders: 5000, docs: 100, kinds: 500 } }));
});
