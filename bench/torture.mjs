#!/usr/bin/env node
// The torture run of issue 12 (tests/integration/harness/torture.mjs) as a command: TORTURE_KILLS kill -9 trials
// (default 100) for Parquet, for CSV and for CSV with PreserveTransactions, each on a fresh PostgreSQL 15 cluster and
// S3 test server behind the fault proxy, with one S3 server and one PostgreSQL restart, a TRUNCATE (not with
// PreserveTransactions) and an ALTER TABLE ADD COLUMN along the way. Prints each run's figures as a
// JSON line and a table at the end; exits 1 when any run's rebuilt tables differ from the source.
//
//   PGS3_BIN=build/release/pgs3 node bench/torture.mjs            (bench/torture.sh builds and sets it)
//   TORTURE_KILLS=20 TORTURE_FORMATS=parquet PGS3_IT_SEED=42 ...   fewer trials, one format, a fixed seed
import { runTorture } from '../tests/integration/harness/torture.mjs';
import { testSeed } from '../tests/integration/harness/cdc.mjs';

const kills = Number(process.env.TORTURE_KILLS ?? 100);
const formats = (process.env.TORTURE_FORMATS ?? 'parquet csv csv-txn').split(/\s+/).filter(Boolean);
const settingsOf = {
  parquet: { DataFormat: 'parquet' },
  csv: { DataFormat: 'csv' },
  'csv-txn': { DataFormat: 'csv', PreserveTransactions: true, CdcPath: 'cdc' },
};
const results = [];
let failed = false;
for (const format of formats) {
  const label = `torture-${format}`;
  try {
    const f = await runTorture({ kills, seed: testSeed(label), label, s3Settings: settingsOf[format] });
    results.push(f);
    if (f.problems.length > 0 || f.openUploads > 0) failed = true;
  } catch (e) {
    failed = true;
    process.stderr.write(`${label}: ${e.stack ?? e}\n`);
    results.push({ label, error: String(e.message ?? e) });
  }
}
console.log('\n=== torture summary ===');
for (const f of results) {
  if (f.error) {
    console.log(`${f.label}: FAILED: ${f.error}`);
    continue;
  }
  const kinds = Object.entries(f.kills).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`${f.label}: ${f.trials} kills (${kinds}), ${f.pgRestarts} PostgreSQL restart, ${f.s3Restarts} S3 ` +
    `restart, events: ${f.events.join(', ')}; tables equal ` +
    `${f.tablesEqual}/${f.tables}, ${f.rowsCompared} rows compared, ${f.duplicates} duplicates, ${f.losses} losses, ` +
    `max recovery ${f.maxRecoveryMs} ms, ${f.openUploads} open multipart uploads; ` +
    `faults ${JSON.stringify(f.faults)}; seed ${f.seed}`);
}
process.exit(failed ? 1 : 0);
