// CDC across schema changes and TRUNCATE (issue 3: "TRUNCATE, and schema changes mid-stream (ADD COLUMN, DROP COLUMN,
// ALTER COLUMN TYPE, RENAME), are handled: the next file of that table has the new schema, and no change is lost or
// mislabelled"). A full-load-and-cdc task streams while the table is altered step by step; every row carries the
// step (`phase`) of the statement that wrote it, so each change file must have exactly the columns (and, for the
// retyped column, the type) of the schema of its rows' step. After each ALTER every row is touched, so that the
// rebuild (LOAD files, then change files in name order; files with different columns combined by name, as DuckDB's
// union_by_name does) must equal the source. TRUNCATE (DMS's HandleSourceTableTruncated, on by default) removes the
// table's objects written so far, LOAD files included, also when the TRUNCATE shares a transaction with other
// changes; later changes go to new files; the other tables keep theirs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, assertRunning, cdcTask, defaultSlotName, duckUnionByName, endWithin, makeTempDir, planStop, reachStop,
  readTableFile, sleep, startStreaming, tableFiles, verifyCdcTable, waitFor,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { parquetInfo } from './harness/parquet.mjs';
import { assertPgs3Works, describeRun, selectionRule } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

// A settle time between steps, longer than CdcMaxBatchInterval (1 s): the changes of a step are usually written
// (and their file closed) before the next ALTER, though correctness must not depend on it.
const SETTLE_MS = 1500;

// Starts a full-load-and-cdc task on `tables` of `schema` and waits for the full load to end. Returns the run and
// a finish() that reaches the stop position and requires exit 0.
async function startTask({ schema, taskId, tables, s3Settings, label }) {
  const stop = await planStop(cluster);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = cdcTask({ cluster, targetDir, taskId, migrationType: 'full-load-and-cdc', s3Settings,
    rules: [...tables, MARKER_TABLE].map((t) => selectionRule(schema, t)) });
  const h = await startStreaming(cluster, task, label, { stop });
  return {
    targetDir, h,
    async step(sql) {
      await assertRunning(h, `${label}: pgs3 ended mid-stream`);
      await cluster.sql(sql);
      await sleep(SETTLE_MS);
    },
    async finish() {
      await reachStop(cluster, stop, schema);
      const run = await endWithin(h, 60000, `${label}: the run to the stop position ${stop}`).catch(async (e) => {
        await h.signal('SIGKILL');
        throw e;
      });
      assert.equal(run.code, 0, `${label}: pgs3 run to ${stop} failed: ${describeRun(run)}`);
      await cluster.sql(`SELECT pg_drop_replication_slot($1)`, [defaultSlotName(taskId)]).catch(() => {});
      return run;
    },
    async abort() {
      await h.signal('SIGKILL');
      await h.done.catch(() => {});
    },
  };
}

// The schema steps: the columns (in order) a change file of each phase must have, and the Parquet physical type of
// column `a` in that phase.
const PHASES = [
  { columns: ['id', 'a', 'b', 'c', 'phase', 'ver'], aType: 'INT32' },
  { columns: ['id', 'a', 'b', 'c', 'phase', 'ver', 'd'], aType: 'INT32' },          // ADD COLUMN d
  { columns: ['id', 'a', 'c', 'phase', 'ver', 'd'], aType: 'INT32' },               // DROP COLUMN b
  { columns: ['id', 'a', 'c', 'phase', 'ver', 'd'], aType: 'INT64' },               // ALTER COLUMN a TYPE bigint
  { columns: ['id', 'a', 'c', 'phase', 'ver', 'e'], aType: 'INT64' },               // RENAME COLUMN d TO e
];

async function schemaChanges(format) {
  const schema = `evolve_${format}`;
  const label = `schema-${format}`;
  const taskId = `evolve-${format}`;
  const s3Settings = format === 'parquet' ? { DataFormat: 'parquet' } : { DataFormat: 'csv', AddColumnName: true };
  const t = `${schema}.t`;
  await cluster.sql(`CREATE SCHEMA ${schema};
    CREATE TABLE ${t} (id int PRIMARY KEY, a int, b text, c int NOT NULL, phase int, ver int NOT NULL);
    CREATE TABLE ${schema}.${MARKER_TABLE} (id int PRIMARY KEY);
    CREATE TABLE ${schema}.wal_filler (i int);
    INSERT INTO ${t} SELECT g, g, 'b' || g, g % 7, 0, 1 FROM generate_series(1, 2000) g;`);
  const task = await startTask({ schema, taskId, tables: ['t'], s3Settings, label });
  try {
    // Phase 0: changes under the original schema.
    await task.step(`INSERT INTO ${t} SELECT g, g, 'b' || g, 1, 0, 1 FROM generate_series(2001, 2100) g;
      UPDATE ${t} SET a = a + 1, ver = ver + 1, phase = 0 WHERE id % 10 = 0;
      DELETE FROM ${t} WHERE id % 50 = 1;`);
    // Phase 1: ADD COLUMN (with a default: existing rows get it without a change of their own), every row touched.
    await task.step(`ALTER TABLE ${t} ADD COLUMN d text DEFAULT 'dflt';
      UPDATE ${t} SET phase = 1, ver = ver + 1, d = CASE WHEN id % 3 = 0 THEN 'd' || id ELSE d END;
      INSERT INTO ${t} (id, a, b, c, phase, ver, d) VALUES (3001, 1, 'x', 2, 1, 1, 'new');
      DELETE FROM ${t} WHERE id % 50 = 2;`);
    // Phase 2: DROP COLUMN, in one transaction with changes before and after it.
    await task.step(`BEGIN;
      UPDATE ${t} SET ver = ver + 1, phase = 1 WHERE id % 50 = 5;
      ALTER TABLE ${t} DROP COLUMN b;
      UPDATE ${t} SET phase = 2, ver = ver + 1;
      COMMIT;
      INSERT INTO ${t} (id, a, c, phase, ver, d) VALUES (3002, 2, 3, 2, 1, 'new2');`);
    // Phase 3: ALTER COLUMN TYPE int → bigint, then values an int cannot hold.
    await task.step(`ALTER TABLE ${t} ALTER COLUMN a TYPE bigint;
      UPDATE ${t} SET phase = 3, ver = ver + 1, a = a * 10000000000;
      DELETE FROM ${t} WHERE id % 50 = 3;`);
    // Phase 4: RENAME COLUMN.
    await task.step(`ALTER TABLE ${t} RENAME COLUMN d TO e;
      UPDATE ${t} SET phase = 4, ver = ver + 1, e = coalesce(e, '') || '!';
      INSERT INTO ${t} (id, a, c, phase, ver, e) VALUES (3003, 3, 4, 4, 1, 'new3');`);
    await task.finish();
  } catch (e) {
    await task.abort();
    throw e;
  }

  // Each change file has the columns of its rows' phase (and one phase per file).
  const files = tableFiles(task.targetDir, 'it', schema, 't', s3Settings);
  assert.ok(files.changes.length >= PHASES.length, `${label}: ${files.changes.length} change files, expected at ` +
    `least one per schema (${PHASES.length})`);
  const problems = [];
  let lastPhase = 0;
  for (const path of files.changes) {
    const f = await readTableFile(path, { settings: s3Settings, isChange: true, kinds: {} });
    const phases = [...new Set(f.rows.filter((r, i) => f.ops[i] !== 'D').map((r) => Number(r.phase)))];
    if (phases.length === 0) continue; // deletes only: their phase is not in the row
    if (phases.length > 1) {
      problems.push(`${path}: rows of phases ${phases.join(', ')} in one file, whose schemas differ`);
      continue;
    }
    const p = phases[0];
    if (p < lastPhase) problems.push(`${path}: rows of phase ${p} after a file of phase ${lastPhase}`);
    lastPhase = p;
    if (JSON.stringify(f.names) !== JSON.stringify(PHASES[p].columns)) {
      problems.push(`${path}: columns ${JSON.stringify(f.names)}, but its rows were written under the schema ` +
        `${JSON.stringify(PHASES[p].columns)} (phase ${p})`);
    }
    if (format === 'parquet') {
      const a = (await parquetInfo(path)).columns.find((c) => c.name === 'a');
      if (a?.type !== PHASES[p].aType) problems.push(`${path}: column a is ${a?.type}, expected ${PHASES[p].aType} (phase ${p})`);
    }
  }
  assert.deepEqual(problems, [], `${label}: change files and schemas:\n  ${problems.join('\n  ')}`);
  assert.equal(lastPhase, PHASES.length - 1, `${label}: no change file of the last schema`);

  const { stats } = await verifyCdcTable({ cluster, targetDir: task.targetDir, schema, table: 't', settings: s3Settings,
    expectLoad: true });
  process.stderr.write(`# ${label}: ${JSON.stringify(stats)}\n`);
  if (format === 'parquet') {
    const u = await duckUnionByName([...files.load, ...files.changes]);
    for (const c of ['id', 'a', 'b', 'c', 'd', 'e', 'phase', 'ver']) {
      assert.ok(u.columns.includes(c), `${label}: DuckDB union_by_name over all files lacks column ${c}: ${u.columns}`);
    }
  }
}

test('SchemaChangesMidStreamParquetNextFileHasTheNewColumnsAndRebuildMatches', { timeout: 120000 }, async () => {
  await schemaChanges('parquet');
});

test('SchemaChangesMidStreamCsvWithHeaderNextFileHasTheNewColumnsAndRebuildMatches', { timeout: 120000 }, async () => {
  await schemaChanges('csv');
});

test('TruncateMidStreamRemovesTheTablesObjectsAndLaterChangesGoToNewFiles', { timeout: 120000 }, async () => {
  const schema = 'trunc';
  const label = 'truncate';
  const s3Settings = { DataFormat: 'parquet' };
  await cluster.sql(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.t (id int PRIMARY KEY, v text, ver int NOT NULL);
    CREATE TABLE ${schema}.other (id int PRIMARY KEY, v text, ver int NOT NULL);
    CREATE TABLE ${schema}.${MARKER_TABLE} (id int PRIMARY KEY);
    CREATE TABLE ${schema}.wal_filler (i int);
    INSERT INTO ${schema}.t SELECT g, 'v' || g, 1 FROM generate_series(1, 3000) g;
    INSERT INTO ${schema}.other SELECT g, 'o' || g, 1 FROM generate_series(1, 1000) g;`);
  const task = await startTask({ schema, taskId: 'trunc', tables: ['t', 'other'], s3Settings, label });
  const t = `${schema}.t`;
  let beforeTruncate;
  let beforeSecond;
  try {
    await task.step(`UPDATE ${t} SET v = v || '+', ver = ver + 1 WHERE id % 7 = 0;
      INSERT INTO ${t} SELECT g, 'n' || g, 1 FROM generate_series(5001, 5100) g;
      UPDATE ${schema}.other SET v = 'x', ver = ver + 1 WHERE id % 5 = 0;`);
    // The TRUNCATE must find a change file of t to remove (files close after CdcMaxBatchInterval, 1 s).
    beforeTruncate = await waitFor(() => {
      const f = tableFiles(task.targetDir, 'it', schema, 't', s3Settings);
      return f.changes.length > 0 && f;
    }, { timeoutMs: 30000, what: `${label}: a change file of ${t} before the TRUNCATE` });
    await task.step(`TRUNCATE ${t};`);
    await task.step(`INSERT INTO ${t} SELECT g, 'after' || g, 1 FROM generate_series(10001, 10200) g;
      UPDATE ${t} SET v = v || '*', ver = ver + 1 WHERE id % 3 = 0;
      DELETE FROM ${t} WHERE id % 10 = 1;`);
    beforeSecond = tableFiles(task.targetDir, 'it', schema, 't', s3Settings);
    // A TRUNCATE inside a transaction, with changes before it (removed with it) and after it (kept).
    await task.step(`BEGIN;
      INSERT INTO ${t} VALUES (20001, 'gone', 1);
      UPDATE ${t} SET ver = ver + 1 WHERE id = 10002;
      TRUNCATE ${t};
      INSERT INTO ${t} SELECT g, 'kept' || g, 1 FROM generate_series(20002, 20050) g;
      COMMIT;
      UPDATE ${t} SET v = 'last', ver = ver + 1 WHERE id = 20010;
      UPDATE ${schema}.other SET v = 'y', ver = ver + 1 WHERE id % 5 = 1;`);
    await task.finish();
  } catch (e) {
    await task.abort();
    throw e;
  }
  const files = tableFiles(task.targetDir, 'it', schema, 't', s3Settings);
  const names = (l) => l.map((p) => p.slice(p.lastIndexOf('/') + 1));
  assert.ok(beforeTruncate.load.length > 0 && beforeTruncate.changes.length > 0,
    `${label}: LOAD and change files before the TRUNCATE (${JSON.stringify(names(beforeTruncate.changes))})`);
  assert.deepEqual(files.load, [], `${label}: LOAD files left after the TRUNCATE`);
  const survivors = [...beforeTruncate.changes, ...beforeSecond.changes].filter((p) => files.changes.includes(p));
  assert.deepEqual(names(survivors), [], `${label}: change files written before a TRUNCATE are still there`);
  assert.ok(files.changes.length > 0, `${label}: no change file after the TRUNCATE`);
  const last = await readTableFile(files.changes[files.changes.length - 1], { settings: s3Settings, isChange: true });
  assert.ok(last.rows.length > 0);
  await verifyCdcTable({ cluster, targetDir: task.targetDir, schema, table: 't', settings: s3Settings, expectLoad: false });
  // The other table is not touched by the TRUNCATE of t.
  const { stats } = await verifyCdcTable({ cluster, targetDir: task.targetDir, schema, table: 'other',
    settings: s3Settings, expectLoad: true });
  assert.ok(stats.U > 0, `${label}: the other table's updates are in its change files`);
  const [{ n }] = await cluster.sql(`SELECT count(*) AS n FROM ${t}`);
  assert.equal(n, '49', 'source rows after the second TRUNCATE');
});
