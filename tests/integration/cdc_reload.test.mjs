// A full reload after the task's checkpoint is removed (issue 11, item 6; README "Guarantees (full load)"): a
// full-load-and-cdc task loads a table, streams changes into change files and stops; then its state folder
// (<BucketFolder>/_pgs3/<taskId>/) and its slot are removed, so the next run starts over with a new full load. That
// load must remove the table's earlier change files (and LOAD files) before its first new LOAD file is committed:
// the lake then holds only the new LOAD files, which read back with DuckDB equal the source. Without it, a reader
// replays the stale change files over the new image.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, cdcTask, defaultSlotName, endWithin, makeTempDir, planStop, reachStop, startStreaming, tableFiles,
  verifyCdcTable, waitFor,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { readWithDuckDB } from './harness/parquet.mjs';
import { assertPgs3Works, describeRun, selectionRule } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

const SCHEMA = 'reload';
const TASK_ID = 'reload-it';

// One run of the task to a fresh stop position; `during` runs once the full load is over. Requires exit 0.
async function runOnce(task, targetDir, label, during = async () => {}) {
  const stop = await planStop(cluster);
  const h = await startStreaming(cluster, task, label, { stop });
  try {
    await during();
    await reachStop(cluster, stop, SCHEMA);
    const run = await endWithin(h, 60000, `${label}: the run to the stop position ${stop}`);
    assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
    return run;
  } catch (e) {
    await h.signal('SIGKILL');
    await h.done.catch(() => {});
    throw e;
  }
}

test('AFullReloadAfterTheCheckpointIsRemovedLeavesOnlyTheNewLoadFiles', { timeout: 180000 }, async () => {
  const t = `${SCHEMA}.t`;
  await cluster.sql(`CREATE SCHEMA ${SCHEMA};
    CREATE TABLE ${SCHEMA}.wal_filler (i int); CREATE TABLE ${SCHEMA}.${MARKER_TABLE} (id int PRIMARY KEY);
    CREATE TABLE ${t} (id int PRIMARY KEY, v text, ver int NOT NULL);
    INSERT INTO ${t} SELECT g, 'load ' || g, 1 FROM generate_series(1, 3000) g;`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const s3Settings = { DataFormat: 'parquet' };
  const task = cdcTask({ cluster, targetDir, taskId: TASK_ID, migrationType: 'full-load-and-cdc', s3Settings,
    rules: [selectionRule(SCHEMA, 't'), selectionRule(SCHEMA, MARKER_TABLE)] });
  const files = () => tableFiles(targetDir, 'it', SCHEMA, 't', s3Settings);

  // First life of the task: a full load, then updates, inserts and deletes in change files.
  await runOnce(task, targetDir, 'reload-run1', async () => {
    await cluster.sql(`UPDATE ${t} SET v = 'changed', ver = ver + 1 WHERE id % 3 = 0;
      INSERT INTO ${t} SELECT g, 'inserted', 1 FROM generate_series(3001, 3300) g;
      DELETE FROM ${t} WHERE id % 10 = 7;`);
    await waitFor(() => files().changes.length > 0, { timeoutMs: 30000, what: 'reload-run1: a change file of t' });
  });
  const first = files();
  assert.ok(first.load.length > 0 && first.changes.length > 0,
    `first run: LOAD and change files (${first.load.length} / ${first.changes.length})`);
  // The walsender of the run that ended may hold the slot a moment longer.
  await waitFor(() => cluster.sql(`SELECT pg_drop_replication_slot($1)`, [defaultSlotName(TASK_ID)]).then(() => true,
    () => false), { timeoutMs: 20000, what: 'the first run\'s slot to be dropped' });

  // The task starts over: no checkpoint, no slot. More changes happen meanwhile (no one streams them).
  rmSync(join(targetDir, 'it', '_pgs3'), { recursive: true, force: true });
  await cluster.sql(`UPDATE ${t} SET v = 'while stopped', ver = ver + 1 WHERE id % 5 = 0;
    DELETE FROM ${t} WHERE id > 3250; DELETE FROM ${SCHEMA}.${MARKER_TABLE};`);
  const second = await runOnce(task, targetDir, 'reload-run2');
  await cluster.sql(`SELECT pg_drop_replication_slot($1)`, [defaultSlotName(TASK_ID)]).catch(() => {});

  const now = files();
  assert.deepEqual(now.changes, [], `the change files of the first run are still there after the full reload`);
  assert.deepEqual(now.unexpected, [], 'unexpected objects in the table folder');
  assert.ok(now.load.length > 0, 'no LOAD file after the reload');
  const removal = second.logs.find((l) => String(l.msg).includes(`earlier object(s) under it/${SCHEMA}/t/`));
  assert.ok(removal, `the reload logged no removal of earlier objects: ${describeRun(second)}`);
  assert.match(removal.msg, new RegExp(`removed ${first.load.length + first.changes.length - 1} earlier`),
    'the removal names how many files went (the first LOAD file is replaced in place)');

  // The lake read back with DuckDB is the source as it is now.
  const { rows } = await readWithDuckDB(now.load, { select: 'id, v, ver', orderBy: 'id' });
  const source = await cluster.sql(`SELECT id, v, ver FROM ${t} ORDER BY id`);
  assert.equal(rows.length, source.length, 'rows in the new LOAD files');
  assert.deepEqual(rows, source.map((r) => [r.id, r.v, r.ver]), 'the new LOAD files differ from the source');
  await verifyCdcTable({ cluster, targetDir, schema: SCHEMA, table: 't', settings: s3Settings, expectLoad: true });
});
