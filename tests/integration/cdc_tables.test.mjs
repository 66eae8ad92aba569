// CDC when tables come, go or change under a running task (issue 11: item 14, item 7, HandleSourceTableDropped and
// renamed tables). pgoutput sends nothing for CREATE, DROP, ATTACH/DETACH PARTITION or a partition's TRUNCATE (under
// publish_via_partition_root), and a new Relation message for a rename; pgs3 must never stream a table without its
// full load, never drift silently, and never confirm a change it did not write. Each case:
//   - a table created under a FOR TABLES IN SCHEMA publication while streaming, one added to the mappings between
//     runs (and then to the publication): loaded in a snapshot of their own (a temporary slot's) and streamed on,
//     exact (issue 13); one dropped and created again under FOR ALL TABLES: the task stops (exit 2) naming the table
//     and the reload, and the slot confirms nothing of the new table; the next start stops again;
//   - a table renamed while streaming: exit 2 naming the old and the new name; nothing under the new name;
//   - a table dropped while streaming: its last changes are written, then (HandleSourceTableDropped, default true)
//     its objects are removed and the task goes on; with false they stay, with the last changes, also when it was
//     dropped while the task was stopped;
//   - a partitioned table: TRUNCATE of one partition (PostgreSQL 15 sends nothing for it: checked on a side slot),
//     ATTACH of a table with rows, DETACH: exit 2 naming the partition and the root; a new empty partition (CREATE
//     TABLE ... PARTITION OF) is accepted and its rows stream.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, assertRunning, cdcTask, defaultSlotName, endWithin, lsnValue, makeTempDir, planStop, reachStop,
  readCheckpoint, readTableFile, sleep, slotInfo, startPgs3, startStreaming, tableFiles, verifyCdcTable, waitFor,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun, runPgs3, selectionRule } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

const S3 = { DataFormat: 'parquet' };

// What pgs3 reported as errors (error-level JSON log lines, and any line that is not JSON).
function errorText(r) {
  return r.logs.filter((l) => l.raw !== undefined || /^err/i.test(l.level)).map((l) => l.raw ?? l.msg).join('\n');
}

// The task of a case: `rules` select in `schema`; the marker table is always selected (reachStop writes into it).
function makeTask({ schema, taskId, rules, targetDir, taskSettings }) {
  const task = cdcTask({ cluster, targetDir, taskId, s3Settings: S3,
    rules: [...rules, selectionRule(schema, MARKER_TABLE)] });
  if (taskSettings) task.taskSettings = taskSettings;
  return task;
}

// Creates the schema with its marker and wal_filler tables (planStop/reachStop), then `sql`.
async function createSchema(schema, sql) {
  await cluster.sql(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.${MARKER_TABLE} (id int PRIMARY KEY);
    CREATE TABLE ${schema}.wal_filler (i int);
    ALTER TABLE ${schema}.wal_filler REPLICA IDENTITY FULL;
    ${sql}`);
}

// Starts the task in the background and waits for the stream (a "cdc" checkpoint). `stop`: a planned stop position.
const startTask = (task, label, options) => startStreaming(cluster, task, label, options);

// Waits for the background run to stop by itself with exit 2 and an error matching every pattern; returns the text.
async function expectStop(h, label, patterns) {
  const run = await endWithin(h, 45000, `${label}: the stop`).catch(async (e) => {
    await h.signal('SIGKILL');
    throw e;
  });
  assert.equal(run.code, 2, `${label}: expected exit 2 (the task needs a reload): ${describeRun(run)}`);
  const errors = errorText(run);
  for (const p of patterns) assert.match(errors, p, `${label}: the error does not say ${p}:\n${errors}`);
  return errors;
}

// Runs `sql` as one transaction and returns the WAL insert position read just before its COMMIT: the transaction's
// commit record is at or after it, so a slot confirmed at or below it confirms nothing of the transaction.
async function commitReturningLsn(sql) {
  const client = await cluster.connect();
  try {
    await client.query('BEGIN');
    await client.query(sql);
    const { rows: [{ l }] } = await client.query('SELECT pg_current_wal_insert_lsn() AS l');
    await client.query('COMMIT');
    return l;
  } finally {
    await client.end();
  }
}

async function assertSlotBefore(taskId, lsn, label) {
  const slot = await slotInfo(cluster, defaultSlotName(taskId));
  assert.ok(slot, `${label}: the slot is gone`);
  assert.ok(lsnValue(slot.confirmed_flush_lsn) <= lsnValue(lsn),
    `${label}: the slot confirmed ${slot.confirmed_flush_lsn}, past the new table's transaction (at or after ${lsn})`);
}

// Runs the task once more: it must stop (exit 2) with an error matching `pattern`.
async function expectRunStops(task, label, pattern, args = []) {
  const r = await runPgs3(task, { env: cluster.pgs3Env(), label, timeoutMs: 60000, args });
  assert.equal(r.code, 2, `${label}: expected exit 2: ${describeRun(r)}`);
  assert.match(errorText(r), pattern);
}

async function dropSlot(taskId) {
  await waitFor(async () => (await slotInfo(cluster, defaultSlotName(taskId)))?.active !== 't',
    { timeoutMs: 20000, what: `slot of ${taskId} released` });
  await cluster.sql('SELECT pg_drop_replication_slot($1)', [defaultSlotName(taskId)]).catch(() => {});
}

// Issue 13, item 2: a table created while a full-load-and-cdc task streams, under a FOR TABLES IN SCHEMA
// publication, ends the stream at its first Relation message (nothing of it written or confirmed), the task starts
// again in the same process and loads it in a temporary slot's snapshot, and streams it from there: its changes
// before and after the load, committed while other tables keep changing, rebuild exactly.
test('ATableCreatedWhileStreamingIsLoadedInASnapshotOfItsOwnAndStreamed', { timeout: 150000 }, async () => {
  const schema = 'newtab';
  const taskId = 'newtab';
  const label = 'new-table';
  await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
    INSERT INTO ${schema}.a SELECT g, 'v' || g FROM generate_series(1, 100) g;
    CREATE PUBLICATION ${defaultSlotName(taskId)} FOR TABLES IN SCHEMA ${schema};`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, '%')] });
  const stop = await planStop(cluster);
  const h = await startTask(task, label, { stop });
  await cluster.sql(`UPDATE ${schema}.a SET v = 'u' WHERE id <= 10`);
  await cluster.sql(`CREATE TABLE ${schema}.b (id int PRIMARY KEY, v text)`);
  await cluster.sql(`INSERT INTO ${schema}.b SELECT g, 'b' FROM generate_series(1, 500) g`);
  // Changes of both tables keep coming while b is found, loaded and streamed.
  for (let i = 0; i < 20; i++) {
    await cluster.sql(`UPDATE ${schema}.b SET v = 'b${i}' WHERE id % 20 = ${i};
      INSERT INTO ${schema}.b VALUES (${1000 + i}, 'late ${i}'); DELETE FROM ${schema}.b WHERE id = ${1 + i * 7};
      UPDATE ${schema}.a SET v = 'a${i}' WHERE id = ${20 + i}`);
    await sleep(100);
  }
  await waitFor(() => h.finished() || tableFiles(targetDir, 'it', schema, 'b', S3).load.length > 0,
    { timeoutMs: 60000, what: `${label}: b's LOAD files` });
  await reachStop(cluster, stop, schema);
  const run = await endWithin(h, 60000, `${label}: the run to the stop position`);
  assert.equal(run.code, 0, `${label}: ${describeRun(run)}`);
  const messages = run.logs.map((l) => String(l.msg ?? ''));
  assert.ok(messages.some((m) => /^table "newtab"\."b" \(relation OID \d+\) is selected by tableMappings and new to the task/.test(m) ||
    /^table "newtab"\."b" is selected by tableMappings and new to the task/.test(m)), `${label}: the restart is logged`);
  assert.ok(messages.some((m) => /^created temporary replication slot/.test(m)), `${label}: b has a snapshot of its own`);
  for (const table of ['a', 'b']) {
    await verifyCdcTable({ cluster, targetDir, schema, table, settings: S3, expectLoad: true });
  }
  const entry = readCheckpoint(targetDir, 'it', taskId).tables.find((t) => t.table === 'b');
  assert.ok(entry?.snapshot_lsn, `${label}: b's checkpoint entry has its snapshot LSN`);
  await dropSlot(taskId);
});

// Issue 13, item 2: a table added to the mappings (and the publication) of a stopped task is loaded at the next
// start in a snapshot of its own; its rows and the changes made before that start are each there once.
test('ATableAddedToTheMappingsBetweenRunsIsLoadedAtTheNextStart', { timeout: 150000 }, async () => {
  const schema = 'addmap';
  const taskId = 'addmap';
  const label = 'added-to-mappings';
  await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
    CREATE TABLE ${schema}.b (id int PRIMARY KEY, v text);
    INSERT INTO ${schema}.a SELECT g, 'a' FROM generate_series(1, 50) g;
    INSERT INTO ${schema}.b SELECT g, 'b' FROM generate_series(1, 50) g;`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const first = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'a')] });
  const stop = await planStop(cluster);
  const h = await startTask(first, label, { stop });
  await reachStop(cluster, stop, schema);
  const run = await endWithin(h, 60000, `${label}: the first run`);
  assert.equal(run.code, 0, describeRun(run));
  // b joins the mappings without the publication: the start says which ALTER PUBLICATION to run.
  const second = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'a'), selectionRule(schema, 'b')] });
  await expectRunStops(second, `${label}-unpublished`, /ALTER PUBLICATION/, ['--cdc-stop-position', await planStop(cluster, 1)]);
  await cluster.sql(`ALTER PUBLICATION ${defaultSlotName(taskId)} ADD TABLE ${schema}.b;
    INSERT INTO ${schema}.b VALUES (1000, 'after'); UPDATE ${schema}.b SET v = 'u' WHERE id <= 5;
    UPDATE ${schema}.a SET v = 'u' WHERE id <= 5`);
  const stop2 = await planStop(cluster);
  const h2 = await startTask(second, `${label}-second`, { stop: stop2 });
  await cluster.sql(`INSERT INTO ${schema}.b VALUES (1001, 'streamed'); DELETE FROM ${schema}.b WHERE id = 7;
    DELETE FROM ${schema}.${MARKER_TABLE}`);
  await reachStop(cluster, stop2, schema);
  const run2 = await endWithin(h2, 60000, `${label}: the second run`);
  assert.equal(run2.code, 0, describeRun(run2));
  assert.ok(run2.logs.some((l) => /^table "addmap"\."b" is selected but not part of the task's full load/.test(String(l.msg))),
    `${label}: the start says b is loaded now`);
  for (const table of ['a', 'b']) {
    await verifyCdcTable({ cluster, targetDir, schema, table, settings: S3, expectLoad: true });
  }
  await dropSlot(taskId);
});

test('ATableDroppedAndCreatedAgainStopsTheTaskAsANewTable', { timeout: 150000 }, async () => {
  const schema = 'recreate';
  const taskId = 'recreate';
  const label = 'recreated';
  await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
    INSERT INTO ${schema}.a SELECT g, 'v' FROM generate_series(1, 100) g;
    CREATE PUBLICATION ${defaultSlotName(taskId)} FOR ALL TABLES;`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'a')],
    taskSettings: { ChangeProcessingDdlHandlingPolicy: { HandleSourceTableDropped: false } } });
  const h = await startTask(task, label);
  await cluster.sql(`DROP TABLE ${schema}.a; CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text)`);
  const lsn = await commitReturningLsn(`INSERT INTO ${schema}.a VALUES (1, 'new')`);
  await expectStop(h, label, [/table "recreate"\."a" was dropped and created again \(its relation OID is now \d+\)/]);
  await assertSlotBefore(taskId, lsn, label);
  // The old table's LOAD files are kept (HandleSourceTableDropped false); no change file holds the new table's row.
  const files = tableFiles(targetDir, 'it', schema, 'a', S3);
  assert.ok(files.load.length > 0, `${label}: the old table's LOAD files`);
  for (const f of files.changes) {
    const { rows } = await readTableFile(f, { settings: S3, isChange: true });
    assert.ok(!rows.some((row) => row.v === 'new'), `${label}: ${f} holds the new table's row`);
  }
  await dropSlot(taskId);
  await cluster.sql(`DROP PUBLICATION ${defaultSlotName(taskId)}`);
});

test('ATableRenamedWhileStreamingStopsTheTaskNamingOldAndNewNames', { timeout: 150000 }, async () => {
  const schema = 'renamed';
  const taskId = 'renamed';
  const label = 'renamed';
  await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
    INSERT INTO ${schema}.a SELECT g, 'v' FROM generate_series(1, 100) g;`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, '%')] });
  const h = await startTask(task, label);
  await cluster.sql(`UPDATE ${schema}.a SET v = 'before' WHERE id <= 10`);
  await cluster.sql(`ALTER TABLE ${schema}.a RENAME TO a2`);
  const lsn = await commitReturningLsn(`UPDATE ${schema}.a2 SET v = 'after' WHERE id <= 5`);
  await expectStop(h, label, [/table "renamed"\."a" \(relation OID \d+\) was renamed to "renamed"\."a2"/,
    /pgs3 drop --purge-target/]);
  await assertSlotBefore(taskId, lsn, label);
  assert.ok(!existsSync(join(targetDir, 'it', schema, 'a2')), `${label}: files were written under the new name`);
  await expectRunStops(task, `${label}-again`, /was renamed to "renamed"\."a2"/);
  await dropSlot(taskId);
});

// The ids in the change files of a table's folder.
async function changeIds(targetDir, schema, table) {
  const ids = [];
  for (const f of tableFiles(targetDir, 'it', schema, table, S3).changes) {
    const { rows } = await readTableFile(f, { settings: S3, isChange: true });
    ids.push(...rows.map((r) => Number(r.id)));
  }
  return ids;
}

test('ADroppedTableHasItsLastChangesWrittenThenItsObjectsRemovedAndTheTaskGoesOn', { timeout: 150000 }, async () => {
  const schema = 'dropped';
  const taskId = 'dropped';
  const label = 'dropped';
  await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
    CREATE TABLE ${schema}.b (id int PRIMARY KEY, v text, ver int NOT NULL);
    INSERT INTO ${schema}.a SELECT g, 'v' FROM generate_series(1, 100) g;
    INSERT INTO ${schema}.b SELECT g, 'v', 1 FROM generate_series(1, 100) g;`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'a'), selectionRule(schema, 'b')] });
  const stop = await planStop(cluster);
  const h = await startTask(task, label, { stop });
  await cluster.sql(`INSERT INTO ${schema}.a VALUES (1001, 'last')`);
  await waitFor(async () => (await changeIds(targetDir, schema, 'a')).includes(1001),
    { timeoutMs: 20000, what: `${label}: the change before the drop in a change file` });
  await cluster.sql(`DROP TABLE ${schema}.a; UPDATE ${schema}.b SET v = 'after', ver = ver + 1 WHERE id <= 20`);
  await waitFor(() => !existsSync(join(targetDir, 'it', schema, 'a')) ||
    tableFiles(targetDir, 'it', schema, 'a', S3).load.length === 0,
  { timeoutMs: 30000, what: `${label}: the dropped table's objects removed (HandleSourceTableDropped)` });
  await assertRunning(h, `${label}: pgs3 ended after the drop`);
  await reachStop(cluster, stop, schema);
  const run = await endWithin(h, 60000, `${label}: the run to its stop position`);
  assert.equal(run.code, 0, describeRun(run));
  assert.match(run.stderr, /table \\"dropped\\"\.\\"a\\" was dropped on the source \(HandleSourceTableDropped\): removed its \d+ object/);
  assert.equal(readCheckpoint(targetDir, 'it', taskId).tables.find((t) => t.table === 'a')?.dropped, true);
  await verifyCdcTable({ cluster, targetDir, schema, table: 'b', settings: S3, expectLoad: true });
  // A restart goes on (the replayed changes of the dropped table are ignored).
  await cluster.sql(`DELETE FROM ${schema}.${MARKER_TABLE}`);
  const stop2 = await planStop(cluster, 1);
  const h2 = startPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop2], label: `${label}-2`,
    timeoutMs: 60000 });
  await reachStop(cluster, stop2, schema);
  const run2 = await endWithin(h2, 60000, `${label}: the restart`);
  assert.equal(run2.code, 0, describeRun(run2));
  assert.ok(!existsSync(join(targetDir, 'it', schema, 'a')) ||
    tableFiles(targetDir, 'it', schema, 'a', S3).changes.length === 0, `${label}: files of a after the restart`);
  await dropSlot(taskId);
});

test('HandleSourceTableDroppedFalseKeepsTheObjectsWithTheLastChangesAlsoWhenDroppedWhileStopped', { timeout: 150000 },
  async () => {
    const schema = 'dropkeep';
    const taskId = 'dropkeep';
    const label = 'dropped-kept';
    await createSchema(schema, `CREATE TABLE ${schema}.a (id int PRIMARY KEY, v text);
      CREATE TABLE ${schema}.b (id int PRIMARY KEY, v text);
      INSERT INTO ${schema}.a SELECT g, 'v' FROM generate_series(1, 100) g;
      INSERT INTO ${schema}.b SELECT g, 'v' FROM generate_series(1, 100) g;`);
    const targetDir = makeTempDir('pgs3-it-target-');
    const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'a'), selectionRule(schema, 'b')],
      taskSettings: { ChangeProcessingDdlHandlingPolicy: { HandleSourceTableDropped: false } } });
    // First run: streams, stops at its stop position.
    const stop = await planStop(cluster);
    const h = await startTask(task, label, { stop });
    await reachStop(cluster, stop, schema);
    const run = await endWithin(h, 60000, `${label}: the first run`);
    assert.equal(run.code, 0, describeRun(run));
    // While the task is stopped: a last change of a, then its DROP.
    await cluster.sql(`INSERT INTO ${schema}.a VALUES (2001, 'last'); DROP TABLE ${schema}.a;
      INSERT INTO ${schema}.b VALUES (2001, 'b'); DELETE FROM ${schema}.${MARKER_TABLE}`);
    const stop2 = await planStop(cluster, 1);
    const h2 = startPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop2], label: `${label}-2`,
      timeoutMs: 90000 });
    await waitFor(async () => h2.finished() || (await changeIds(targetDir, schema, 'a')).includes(2001),
      { timeoutMs: 30000, what: `${label}: the dropped table's last change written` });
    await sleep(6000);  // a catalog check (every 5 s) has seen the drop
    await reachStop(cluster, stop2, schema);
    const run2 = await endWithin(h2, 60000, `${label}: the second run`);
    assert.equal(run2.code, 0, describeRun(run2));
    assert.ok((await changeIds(targetDir, schema, 'a')).includes(2001), `${label}: the last change before the drop`);
    assert.ok(tableFiles(targetDir, 'it', schema, 'a', S3).load.length > 0, `${label}: the LOAD files are kept`);
    assert.match(run2.stderr, /HandleSourceTableDropped is false, so its objects in the target keep the rows it had/);
    assert.ok((await changeIds(targetDir, schema, 'b')).includes(2001));
    await dropSlot(taskId);
  });

// A partitioned table `p` (two partitions, 100 rows each) in `schema`, and a running task on it.
async function partitionedTask(schema, taskId, label, extraSql = '') {
  await createSchema(schema, `CREATE TABLE ${schema}.p (id int, v text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
    CREATE TABLE ${schema}.p1 PARTITION OF ${schema}.p FOR VALUES FROM (0) TO (1000);
    CREATE TABLE ${schema}.p2 PARTITION OF ${schema}.p FOR VALUES FROM (1000) TO (2000);
    INSERT INTO ${schema}.p SELECT g, 'v' FROM generate_series(1, 100) g;
    INSERT INTO ${schema}.p SELECT g, 'v' FROM generate_series(1001, 1100) g;
    ${extraSql}`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask({ schema, taskId, targetDir, rules: [selectionRule(schema, 'p')] });
  return { task, targetDir };
}

test('TruncateOfAPartitionIsNotInTheStreamAndStopsTheTaskNamingTheRoot', { timeout: 150000 }, async () => {
  const schema = 'parttrunc';
  const taskId = 'parttrunc';
  const label = 'partition-truncate';
  const { task } = await partitionedTask(schema, taskId, label);
  const h = await startTask(task, label);
  // What PostgreSQL 15 sends for it: a side slot on the task's publication (publish_via_partition_root) sees no
  // message at all for the TRUNCATE of a partition (the root's row count changed all the same).
  await cluster.sql(`SELECT pg_create_logical_replication_slot('side_parttrunc', 'pgoutput')`);
  await cluster.sql(`TRUNCATE ${schema}.p1`);
  const msgs = await cluster.sql(`SELECT substr(data, 1, 1) AS t FROM pg_logical_slot_peek_binary_changes(
      'side_parttrunc', NULL, NULL, 'proto_version', '1', 'publication_names', $1)`, [defaultSlotName(taskId)]);
  await cluster.sql(`SELECT pg_drop_replication_slot('side_parttrunc')`);
  assert.deepEqual(msgs.map((m) => Buffer.from(m.t).toString()), [], `${label}: pgoutput sent something`);
  const [{ n }] = await cluster.sql(`SELECT count(*)::int AS n FROM ${schema}.p`);
  assert.equal(Number(n), 100);
  await expectStop(h, label, [/partition parttrunc\.p1 was truncated/, /of partitioned table "parttrunc"\."p"/,
    /pgs3 drop --purge-target/]);
  await expectRunStops(task, `${label}-again`, /partition parttrunc\.p1 was truncated/);
  await dropSlot(taskId);
});

test('AttachingATableWithRowsStopsTheTask', { timeout: 150000 }, async () => {
  const schema = 'partattach';
  const label = 'partition-attach';
  const { task } = await partitionedTask(schema, 'partattach', label,
    `CREATE TABLE ${schema}.p3 (id int PRIMARY KEY, v text);
     INSERT INTO ${schema}.p3 SELECT g, 'x' FROM generate_series(2001, 2050) g;`);
  const h = await startTask(task, label);
  await cluster.sql(`ALTER TABLE ${schema}.p ATTACH PARTITION ${schema}.p3 FOR VALUES FROM (2000) TO (3000)`);
  await expectStop(h, label, [/partition partattach\.p3 was attached with rows/, /"partattach"\."p"/]);
  await dropSlot('partattach');
});

test('DetachingAPartitionStopsTheTask', { timeout: 150000 }, async () => {
  const schema = 'partdetach';
  const label = 'partition-detach';
  const { task } = await partitionedTask(schema, 'partdetach', label);
  const h = await startTask(task, label);
  await cluster.sql(`ALTER TABLE ${schema}.p DETACH PARTITION ${schema}.p2`);
  await expectStop(h, label, [/partition "partdetach"\."p2" was detached or dropped/, /"partdetach"\."p"/]);
  await dropSlot('partdetach');
});

test('ANewEmptyPartitionIsAcceptedAndItsRowsStream', { timeout: 150000 }, async () => {
  const schema = 'partnew';
  const taskId = 'partnew';
  const label = 'partition-new';
  const { task, targetDir } = await partitionedTask(schema, taskId, label);
  const stop = await planStop(cluster);
  const h = await startTask(task, label, { stop });
  await cluster.sql(`CREATE TABLE ${schema}.p3 PARTITION OF ${schema}.p FOR VALUES FROM (2000) TO (3000)`);
  await sleep(6000);  // a catalog check (every 5 s) has seen it empty
  await cluster.sql(`INSERT INTO ${schema}.p SELECT g, 'new' FROM generate_series(2001, 2020) g;
    UPDATE ${schema}.p SET v = 'u' WHERE id % 10 = 0`);
  await sleep(6000);
  await assertRunning(h, `${label}: pgs3 stopped after a new empty partition`);
  await reachStop(cluster, stop, schema);
  const run = await endWithin(h, 60000, `${label}: the run to its stop position`);
  assert.equal(run.code, 0, describeRun(run));
  const entry = readCheckpoint(targetDir, 'it', taskId).tables.find((t) => t.table === 'p');
  assert.equal(entry.partitions.length, 3, `${label}: recorded partitions ${JSON.stringify(entry.partitions)}`);
  await verifyCdcTable({ cluster, targetDir, schema, table: 'p', settings: S3, expectLoad: true });
  await dropSlot(taskId);
});
