// Object keys of odd names (issue 11, item 8; README "Output layout"): a schema or table name goes into keys as it
// is, except what would break the layout, which is percent-encoded — '/' and '%' (tables `a` and `a/b` get folders
// `a` and `a%2Fb`, neither inside the other), "." and ".." (a table `..` gets `%2E%2E` inside its schema's folder
// instead of climbing out of it), and a schema `_pgs3` (`%5Fpgs3`, not pgs3's own state folder). A
// full-load-and-cdc task on such tables streams changes, TRUNCATEs table `a` and the table of schema `_pgs3` named
// like the task: `a/b`'s files and the task's checkpoint must stay, and every table rebuilt from its own folder must
// equal the source.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, assertRunning, cdcTask, defaultSlotName, endWithin, makeTempDir, planStop, reachStop, readCheckpoint,
  sleep, startStreaming, tableFiles, verifyCdcTable, waitFor,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun, listFiles, selectionRule } from './harness/pgs3.mjs';
import { qualified } from './harness/source.mjs';
import { keySegment } from './harness/verify.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

const SCHEMA = 'keys';
const TASK_ID = 'keys-it';
// [schema, table, folder under the BucketFolder]
const TABLES = [
  [SCHEMA, 'a', 'keys/a'],
  [SCHEMA, 'a/b', 'keys/a%2Fb'],
  [SCHEMA, 'a%2Fb', 'keys/a%252Fb'],
  [SCHEMA, '..', 'keys/%2E%2E'],
  [SCHEMA, '.', 'keys/%2E'],
  ['_pgs3', TASK_ID, `%5Fpgs3/${TASK_ID}`],
];

test('OddNamesGetFoldersOfTheirOwnAndTruncateOfAKeepsTheFilesOfAB', { timeout: 180000 }, async () => {
  const label = 'object-keys';
  await cluster.sql(`CREATE SCHEMA ${SCHEMA}; CREATE SCHEMA "_pgs3";
    CREATE TABLE ${SCHEMA}.wal_filler (i int); CREATE TABLE ${SCHEMA}.${MARKER_TABLE} (i int PRIMARY KEY);`);
  for (const [schema, table] of TABLES) {
    const t = qualified(schema, table);
    await cluster.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v text, ver int NOT NULL);
      INSERT INTO ${t} SELECT g, 'load ' || g, 1 FROM generate_series(1, 200) g;`);
  }
  for (const [schema, table, folder] of TABLES) assert.equal(`${keySegment(schema)}/${keySegment(table)}`, folder);

  const stop = await planStop(cluster);
  const targetDir = makeTempDir('pgs3-it-target-');
  const s3Settings = { DataFormat: 'parquet' };
  const task = cdcTask({ cluster, targetDir, taskId: TASK_ID, migrationType: 'full-load-and-cdc', s3Settings,
    // An explicit rule names one table exactly, so it cannot hold '%': that name is selected by an include pattern
    // that only it matches here.
    rules: [...TABLES, [SCHEMA, MARKER_TABLE]].map(([schema, table]) =>
      selectionRule(schema, table, table.includes('%') ? 'include' : 'explicit')) });
  const h = await startStreaming(cluster, task, label, { stop });
  const files = (schema, table) => tableFiles(targetDir, 'it', schema, table, s3Settings);
  const step = async (sql) => {
    await assertRunning(h, `${label}: pgs3 ended mid-stream`);
    await cluster.sql(sql);
    await sleep(1500);
  };
  let beforeTruncate;
  try {
    // Each table in its own folder, nothing outside the BucketFolder, the checkpoint where it belongs.
    for (const [schema, table, folder] of TABLES) {
      assert.ok(existsSync(join(targetDir, 'it', folder)), `${label}: no folder it/${folder} for ${schema}.${table}`);
      assert.equal(files(schema, table).load.length, 1, `${label}: LOAD files of ${schema}.${table} in it/${folder}`);
    }
    assert.deepEqual(readdirSync(targetDir), ['it'], `${label}: objects written outside the BucketFolder`);
    assert.deepEqual(listFiles(join(targetDir, 'it', '_pgs3')).filter((f) => f.includes('LOAD')), [],
      `${label}: LOAD files in pgs3's state folder`);

    for (const [schema, table] of TABLES) {
      const t = qualified(schema, table);
      await cluster.sql(`UPDATE ${t} SET v = 'cdc', ver = ver + 1 WHERE id % 4 = 0;
        INSERT INTO ${t} SELECT g, 'new ' || g, 1 FROM generate_series(201, 260) g; DELETE FROM ${t} WHERE id % 9 = 0;`);
    }
    beforeTruncate = await waitFor(() => {
      const all = TABLES.map(([schema, table]) => files(schema, table));
      return all.every((f) => f.changes.length > 0) && all;
    }, { timeoutMs: 30000, what: `${label}: a change file of every table` });
    await step(`TRUNCATE ${qualified(SCHEMA, 'a')}; TRUNCATE ${qualified('_pgs3', TASK_ID)};`);
    await step(`INSERT INTO ${qualified(SCHEMA, 'a')} SELECT g, 'after', 1 FROM generate_series(1001, 1050) g;
      INSERT INTO ${qualified('_pgs3', TASK_ID)} SELECT g, 'after', 1 FROM generate_series(1001, 1020) g;
      UPDATE ${qualified(SCHEMA, 'a/b')} SET v = 'after', ver = ver + 1 WHERE id % 5 = 0;`);
    await reachStop(cluster, stop, SCHEMA);
    const run = await endWithin(h, 60000, `${label}: the run to the stop position ${stop}`);
    assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
  } catch (e) {
    await h.signal('SIGKILL');
    await h.done.catch(() => {});
    throw e;
  } finally {
    await cluster.sql(`SELECT pg_drop_replication_slot($1)`, [defaultSlotName(TASK_ID)]).catch(() => {});
  }

  // TRUNCATE of `a` removed a's objects only: a/b's (and the others') LOAD and change files are all still there.
  const [aBefore, abBefore] = beforeTruncate;
  const a = files(SCHEMA, 'a');
  assert.deepEqual(a.load, [], `${label}: LOAD files of ${SCHEMA}.a left after its TRUNCATE`);
  assert.ok(aBefore.changes.every((p) => !a.changes.includes(p)), `${label}: a's change files before the TRUNCATE stay`);
  const ab = files(SCHEMA, 'a/b');
  assert.deepEqual(ab.load, abBefore.load, `${label}: TRUNCATE of ${SCHEMA}.a removed a/b's LOAD file`);
  assert.ok(abBefore.changes.every((p) => ab.changes.includes(p)),
    `${label}: TRUNCATE of ${SCHEMA}.a removed change files of a/b (${JSON.stringify(abBefore.changes)} -> ` +
    `${JSON.stringify(ab.changes)})`);
  // TRUNCATE of "_pgs3"."keys-it" left the task's state alone.
  const checkpoint = readCheckpoint(targetDir, 'it', TASK_ID);
  assert.ok(checkpoint?.phase === 'cdc', `${label}: the checkpoint is gone or damaged after TRUNCATE of _pgs3.${TASK_ID}`);

  for (const [schema, table] of TABLES) {
    const truncated = table === 'a' || schema === '_pgs3';
    await verifyCdcTable({ cluster, targetDir, schema, table, settings: s3Settings, expectLoad: !truncated });
  }
});
