// CDC end to end (issue 3, "Tests"): a seeded random workload — inserts, updates (key updates included), deletes,
// multi-table transactions, rollbacks, savepoints rolled back to — on three tables (a composite key; REPLICA
// IDENTITY FULL with an out-of-line TOASTed text column; many types), running DURING the full load of a
// `full-load-and-cdc` task and after it. The run ends by itself at a stop position planned ahead (--cdc-stop-position
// with a plain LSN, see harness/cdc.mjs planStop/reachStop). Then every table is rebuilt from its LOAD files and its
// change files (in name order: I insert, U replace by key, D delete by key) and must equal the source exactly, with
// no change written twice (per-key `ver` strictly increasing; Parquet position ranges strictly increasing and
// disjoint). Parquet, and a smaller CSV run; and a `cdc` task on empty tables (change files only).
//
// A failure prints the workload's seed; PGS3_IT_SEED=<seed> reruns the same choices.
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, WORKLOAD_TABLES, Workload, assertRunning, cdcTask, createPublicationAndSlot, createWorkloadTables,
  currentLsn, defaultSlotName, dropSlotIfInactive, endWithin, lsnValue, makeTempDir, planStop, reachStop,
  readCheckpoint, slotInfo, startPgs3, tableFiles, sleep, sleepUnless, testSeed, verifyCdcTable, verifyWorkloadTables,
  waitFor, workloadRules,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { duckQuery, sqlString } from './harness/parquet.mjs';
import { assertPgs3Works, describeRun, fullLoadTask, listFiles, runPgs3 } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

/**
 * The full-load-and-cdc scenario: workload started first, pgs3 started while it runs, the workload kept going until
 * the full load is over and `afterLoadMs` longer, then the planned stop position is reached and pgs3 must exit 0.
 */
async function workloadDuringAndAfterLoad({ schema, taskId, s3Settings, sizes, afterLoadMs = 4000, label }) {
  const seed = testSeed(label);
  const ids = await createWorkloadTables(cluster, { schema, ...sizes });
  const stop = await planStop(cluster);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = cdcTask({ cluster, targetDir, taskId, migrationType: 'full-load-and-cdc', s3Settings,
    rules: workloadRules(schema) });

  const workloadStarted = Date.now();
  const workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop }).start();
  await waitFor(() => workload.stats.committed >= 20 || workload.error, { what: 'the workload to commit 20 transactions' });
  const started = Date.now();
  let stopReached = 0;
  const pgs3 = startPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop], timeoutMs: 150000,
    label });
  try {
    // The full load is over when the checkpoint says the task streams (checkpoint.h: "phase": "cdc").
    await waitFor(() => pgs3.finished() || readCheckpoint(targetDir, 'it', taskId)?.phase === 'cdc',
      { timeoutMs: 90000, what: 'the full load to finish (checkpoint phase "cdc")' });
    const during = workload.stats.committed;
    await sleepUnless(() => pgs3.finished() || workload.error, afterLoadMs);
    const stats = await workload.stop();
    process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}; ${during} committed before the load ended\n`);
    await assertRunning(pgs3, 'pgs3 ended before the stop position');
    assert.ok(stats.committed > during, 'the workload went on after the full load');
    await reachStop(cluster, stop, schema);
    stopReached = Date.now();
  } catch (e) {
    await workload.stop().catch(() => {});
    await pgs3.signal('SIGKILL');
    await pgs3.done.catch(() => {});
    throw e;
  }
  const run = await endWithin(pgs3, 90000, `${label}: the run to the stop position ${stop}`).catch(async (e) => {
    await pgs3.signal('SIGKILL');
    throw e;
  });
  assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
  const ranMs = Date.now() - started;

  const result = await verifyWorkloadTables({ cluster, targetDir, settings: s3Settings, schema, expectLoad: true,
    label: `${label} (seed ${seed})`, commitWindow: { startMs: workloadStarted, endMs: Date.now() } });
  process.stderr.write(`# ${label}: pgs3 ran ${ranMs} ms (${Date.now() - stopReached} ms after the stop was ` +
    `reached), verified in ${Date.now() - started - ranMs} ms\n`);
  for (const t of WORKLOAD_TABLES) {
    const s = result[t];
    assert.ok(s.I > 0 && s.U > 0 && s.D > 0, `${label}: ${t} has change rows of every kind (${JSON.stringify(s)})`);
  }
  // The marker row committed past the stop position is not written.
  const marker = tableFiles(targetDir, 'it', schema, MARKER_TABLE, s3Settings);
  assert.deepEqual(marker.changes, [], `${label}: the transaction past the stop position was written`);
  await dropSlotIfInactive(cluster, taskId);
  return { targetDir, result };
}

test('FullLoadAndCdcWithWorkloadDuringAndAfterTheLoadRebuildsExactlyParquet', { timeout: 240000 }, async () => {
  await workloadDuringAndAfterLoad({ schema: 'wl_pq', taskId: 'wl-pq', label: 'workload-parquet',
    s3Settings: { DataFormat: 'parquet' }, sizes: { orders: 200000, docs: 1500, kinds: 20000 } });
});

test('FullLoadAndCdcWithWorkloadDuringAndAfterTheLoadRebuildsExactlyCsv', { timeout: 180000 }, async () => {
  // The commit time column as well: Op, then cdc_ts, then the table's columns.
  await workloadDuringAndAfterLoad({ schema: 'wl_csv', taskId: 'wl-csv', label: 'workload-csv',
    s3Settings: { DataFormat: 'csv', TimestampColumnName: 'cdc_ts' }, sizes: { orders: 40000, docs: 500, kinds: 5000 },
    afterLoadMs: 3000 });
});

test('CdcOnlyTaskFromEmptyTablesRebuildsFromChangeFilesAlone', { timeout: 180000 }, async () => {
  const label = 'cdc-only';
  const schema = 'wl_cdc';
  const taskId = 'wl-cdc';
  const seed = testSeed(label);
  const s3Settings = { DataFormat: 'parquet' };
  const ids = await createWorkloadTables(cluster, { schema, orders: 0, docs: 0, kinds: 0 });
  // The slot exists before the workload (pgs3 reuses the publication and slot it finds under its default names), so
  // that every change of the workload is in the stream the first run reads.
  await createPublicationAndSlot(cluster, taskId, [...WORKLOAD_TABLES, MARKER_TABLE], schema);
  const workload = new Workload(cluster, { seed, ids, schema });
  const stats = await workload.runFor(5000);
  process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}\n`);
  const stop = await currentLsn(cluster);

  const targetDir = makeTempDir('pgs3-it-target-');
  const task = cdcTask({ cluster, targetDir, taskId, migrationType: 'cdc', s3Settings,
    rules: workloadRules(schema) });
  const slotBefore = await slotInfo(cluster, defaultSlotName(taskId));
  // The server is idle after `stop`: pgs3 must see that nothing more is to come before it (keepalives) and end.
  const run = await runPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop], timeoutMs: 90000,
    label });
  assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
  assert.ok(!run.timedOut, `${label}: pgs3 did not stop by itself at ${stop}: ${describeRun(run)}`);
  const result = await verifyWorkloadTables({ cluster, targetDir, settings: s3Settings, schema, expectLoad: false,
    label: `${label} (seed ${seed})` });
  for (const t of WORKLOAD_TABLES) assert.ok(result[t].I > 0, `${label}: ${t} has inserts (${JSON.stringify(result[t])})`);
  const slot = await slotInfo(cluster, defaultSlotName(taskId));
  assert.ok(slot, 'the slot created before the task is still there');
  assert.equal(slot.plugin, 'pgoutput');
  assert.equal(slot.active, 'f', 'the slot is released when pgs3 exits');
  // What is durable is confirmed: the slot no longer holds the workload's WAL.
  assert.ok(lsnValue(slot.confirmed_flush_lsn) > lsnValue(slotBefore.confirmed_flush_lsn),
    `the slot's confirmed_flush_lsn did not move (${slotBefore.confirmed_flush_lsn} -> ${slot.confirmed_flush_lsn})`);

  // Again to the same stop position: nothing new to write, exit 0, the data files unchanged.
  const dataFiles = () => listFiles(targetDir).filter((f) => !f.startsWith('it/_pgs3/'));
  const filesBefore = dataFiles();
  const again = await runPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop], timeoutMs: 60000,
    label: `${label}-again` });
  assert.equal(again.code, 0, `${label}: a second run to the same stop position failed: ${describeRun(again)}`);
  assert.ok(!again.timedOut, `${label}: the second run did not stop by itself: ${describeRun(again)}`);
  assert.deepEqual(dataFiles(), filesBefore, `${label}: a second run to the same stop position wrote or removed files`);
  await verifyWorkloadTables({ cluster, targetDir, settings: s3Settings, schema, expectLoad: false,
    label: `${label} after a second run (seed ${seed})` });
  await dropSlotIfInactive(cluster, taskId);
});

// The checker itself: change files made by hand (DuckDB writes the Parquet ones) on top of a real full load, with
// the same changes applied to the source. The rebuild must accept them — and must reject a replayed file, a lost
// file and a D that carries non-key values.
test('RebuildAcceptsCorrectChangeFilesAndCatchesReplayedOrLostOnes', { timeout: 120000 }, async () => {
  const schema = 'wl_self';
  await createWorkloadTables(cluster, { schema, orders: 1000, docs: 0, kinds: 0 });
  const rows = await cluster.sql(`SELECT region, id, ver FROM ${schema}.orders WHERE id IN (11, 21, 31) ORDER BY id`);
  const [k1, k2, k3] = rows.map((r) => ({ region: r.region, id: Number(r.id), ver: Number(r.ver) }));
  await cluster.sql(`INSERT INTO ${schema}.orders VALUES ('eu', 5001, 5, 'new', 1);
    UPDATE ${schema}.orders SET qty = 9, note = 'upd', ver = ver + 1 WHERE id = ${k1.id};
    DELETE FROM ${schema}.orders WHERE id = ${k2.id};
    UPDATE ${schema}.orders SET region = 'us', id = 5002, qty = 1, note = 'moved', ver = ver + 1 WHERE id = ${k3.id}`);
  const files = [
    { name: '20261130-000000001', first: '1/10:0', last: '1/10:1',
      rows: [['I', 'eu', 5001, 5, 'new', 1], ['U', k1.region, k1.id, 9, 'upd', k1.ver + 1]] },
    { name: '20261130-000000002', first: '1/20:0', last: '1/20:2',
      rows: [['D', k2.region, k2.id, null, null, null], ['D', k3.region, k3.id, null, null, null],
        ['U', 'us', 5002, 1, 'moved', k3.ver + 1]] },
  ];
  const replay = { name: '20261130-000000003', first: '1/10:1', last: '1/10:1',
    rows: [['U', k1.region, k1.id, 9, 'upd', k1.ver + 1]] };
  const badDelete = { name: '20261130-000000004', first: '1/30:0', last: '1/30:1',
    rows: [['I', 'ap', 6001, 1, 'x', 1], ['D', 'ap', 6001, 1, 'x', null]] };
  const lit = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`);

  for (const format of ['parquet', 'csv']) {
    const s3Settings = { DataFormat: format };
    const targetDir = makeTempDir('pgs3-it-target-');
    // The LOAD files of the table as it was before the changes: a full load, then the source catches up.
    const task = fullLoadTask({ cluster, targetDir, s3Settings, rules: workloadRules(schema) });
    await cluster.sql(`CREATE TABLE ${schema}.after AS SELECT * FROM ${schema}.orders;
      BEGIN; DELETE FROM ${schema}.orders; INSERT INTO ${schema}.orders
        SELECT (ARRAY['eu','us','ap','sa'])[1 + g % 4], g, g % 1000, 'note ' || g, 1 FROM generate_series(1, 1000) g;
      COMMIT;`);
    const run = await runPgs3(task, { env: cluster.pgs3Env(), label: `rebuild-selfcheck-${format}` });
    assert.equal(run.code, 0, describeRun(run));
    await cluster.sql(`BEGIN; DELETE FROM ${schema}.orders; INSERT INTO ${schema}.orders SELECT * FROM ${schema}.after;
      COMMIT; DROP TABLE ${schema}.after;`);
    const dir = tableFiles(targetDir, 'it', schema, 'orders', s3Settings).dir;
    const write = async (f) => {
      const path = `${dir}/${f.name}.${format}`;
      if (format === 'csv') {
        writeFileSync(path, f.rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\n') + '\n');
      } else {
        await duckQuery(`COPY (SELECT * FROM (VALUES ${f.rows.map((r) => `(${r.map(lit).join(', ')})`).join(', ')})
            v("Op", region, id, qty, note, ver)) TO ${sqlString(path)} (FORMAT parquet, KV_METADATA {
            'pgs3.position.first': '${f.first}', 'pgs3.position.last': '${f.last}',
            'pgs3.source.schema': '${schema}', 'pgs3.source.table': 'orders'})`);
      }
      return path;
    };
    const verify = () => verifyCdcTable({ cluster, targetDir, schema, table: 'orders', settings: s3Settings });
    const paths = [];
    for (const f of files) paths.push(await write(f));
    const { stats } = await verify();
    assert.deepEqual([stats.I, stats.U, stats.D], [1, 2, 2], `${format}: the rows applied`);

    const replayed = await write(replay);
    await assert.rejects(verify(), /written twice/, `${format}: a replayed file is caught`);
    unlinkSync(replayed);
    unlinkSync(paths[1]);
    await assert.rejects(verify(), /differs from the source/, `${format}: a lost file is caught`);
    await write(files[1]);
    const bad = await write(badDelete);
    await assert.rejects(verify(), /non-key column/, `${format}: a D with non-key values is caught`);
    unlinkSync(bad);
    await verify();
  }
});

// The DMS forms of the stop position (rules/cdc_stop_position.h): "commit_time:T" stops before the first transaction
// committed after T, "server_time:T" once the stream has reached WAL the server wrote at T. A backlog of committed
// transactions waits in the slot, all before T; a marker row is committed after T. Every change before T must be
// written, the marker must not.
test('CdcStopPositionCommitTimeAndServerTimeWriteEveryChangeBeforeThem', { timeout: 120000 }, async () => {
  const failures = [];
  for (const form of ['commit_time', 'server_time']) {
    const label = `stop-${form}`;
    const schema = `wl_${form}`;
    const taskId = `wl-${form.replace('_', '-')}`;
    const seed = testSeed(label);
    const s3Settings = { DataFormat: 'parquet' };
    const ids = await createWorkloadTables(cluster, { schema, orders: 0, docs: 0, kinds: 0 });
    await createPublicationAndSlot(cluster, taskId, [...WORKLOAD_TABLES, MARKER_TABLE], schema);
    await new Workload(cluster, { seed, ids, schema }).runFor(2000);
    await sleep(300);
    const [{ t }] = await cluster.sql(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS t`);
    await sleep(300);
    await cluster.sql(`INSERT INTO ${schema}.${MARKER_TABLE} VALUES (1)`);
    const targetDir = makeTempDir('pgs3-it-target-');
    const task = cdcTask({ cluster, targetDir, taskId, migrationType: 'cdc', s3Settings, rules: workloadRules(schema) });
    const stop = `${form}:${t}`;
    const run = await runPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop], timeoutMs: 60000,
      label });
    try {
      assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
      assert.ok(!run.timedOut, `${label}: pgs3 did not stop by itself at ${stop}: ${describeRun(run)}`);
      assert.deepEqual(tableFiles(targetDir, 'it', schema, MARKER_TABLE, s3Settings).changes, [],
        `${label}: the transaction committed after ${stop} was written`);
      // The marker is not part of what must be there.
      await cluster.sql(`DELETE FROM ${schema}.${MARKER_TABLE}`);
      await verifyWorkloadTables({ cluster, targetDir, settings: s3Settings, schema, expectLoad: false,
        label: `${label}: --cdc-stop-position ${stop} (seed ${seed})` });
    } catch (e) {
      failures.push(e.message.split('\n').slice(0, 8).join('\n'));
    }
    await dropSlotIfInactive(cluster, taskId);
  }
  assert.ok(failures.length === 0, failures.join('\n'));
});
