// A spill that cannot be written (issue 11, item 1; README "Guarantees (CDC)"): a full-load-and-cdc task with the
// smallest MemoryLimitTotal (16 MB) streams a transaction of about 60 MB, so its table writer must move data out of
// memory into a spill file — in $TMPDIR, here a 1 MB tmpfs, which fills up (ENOSPC). The task must stop with exit 1
// and a message naming the spill file and what was to be written, with no checkpoint (and no position confirmed to
// the slot) past the changes it could not keep. The next run, with room to spill, reads them again from the slot:
// the table rebuilt from its LOAD and change files equals the source, with no change written twice.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, cdcTask, defaultSlotName, endWithin, lsnValue, makeTempDir, planStop, reachStop, readCheckpoint,
  slotInfo, startStreaming, verifyCdcTable,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun, selectionRule } from './harness/pgs3.mjs';

const SCHEMA = 'spill';
const TASK_ID = 'spill-it';

let cluster;
let tmpfs = null;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(async () => {
  if (tmpfs) execFileSync('umount', [tmpfs]);
  await cluster?.stop();
});

// A 1 MB tmpfs of its own (the harness runs as root: it starts PostgreSQL through runuser).
function smallTmpfs() {
  const dir = makeTempDir('pgs3-it-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=1777', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`cannot mount a tmpfs on ${dir} (this test needs root, as the harness does): ${e.stderr ?? e}`);
  }
  tmpfs = dir;
  return dir;
}

test('SpillThatCannotBeWrittenStopsTheTaskAndConfirmsNothingPastTheChangesItHeld', { timeout: 240000 },
  async () => {
    const label = 'spill-enospc';
    await cluster.sql(`CREATE SCHEMA ${SCHEMA};
      CREATE TABLE ${SCHEMA}.${MARKER_TABLE} (id int PRIMARY KEY);
      CREATE TABLE ${SCHEMA}.wal_filler (i int);
      CREATE TABLE ${SCHEMA}.big (id int PRIMARY KEY, v text, ver int NOT NULL);
      INSERT INTO ${SCHEMA}.big SELECT g, 'load', 1 FROM generate_series(1, 100) g;`);
    const stop = await planStop(cluster, 256);
    const targetDir = makeTempDir('pgs3-it-target-');
    const s3Settings = { DataFormat: 'parquet' };
    const task = cdcTask({ cluster, targetDir, taskId: TASK_ID, s3Settings,
      rules: [selectionRule(SCHEMA, 'big'), selectionRule(SCHEMA, MARKER_TABLE)] });
    task.taskSettings = { ChangeProcessingTuning: { MemoryLimitTotal: 16 } };
    const spillDir = smallTmpfs();

    const h = await startStreaming(cluster, task, `${label}-run1`, { stop, env: { TMPDIR: spillDir } });
    let before;
    let afterCommit;
    try {
      before = (await cluster.sql('SELECT pg_current_wal_insert_lsn()::text AS l'))[0].l;
      // About 60 MB of hex text that compresses poorly: 2 kB per row, 30,000 rows, one transaction.
      await cluster.sql(`INSERT INTO ${SCHEMA}.big
        SELECT g, (SELECT string_agg(md5((g * 64 + k)::text), '') FROM generate_series(1, 64) k), 1
          FROM generate_series(101, 30100) g`);
      afterCommit = (await cluster.sql('SELECT pg_current_wal_insert_lsn()::text AS l'))[0].l;
    } catch (e) {
      await h.signal('SIGKILL');
      throw e;
    }
    const run = await endWithin(h, 90000, `${label}: the run whose spill fails`).catch(async (e) => {
      await h.signal('SIGKILL');
      throw e;
    });
    assert.equal(run.code, 1, `${label}: expected exit 1 (a spill file that cannot be written): ${describeRun(run)}`);
    assert.match(run.stderr, new RegExp(`spill file ${spillDir}/pgs3-spill-\\d+-\\w+/`), describeRun(run));
    assert.match(run.stderr, /No space left on device/, describeRun(run));

    // Nothing past the transaction it could not keep was saved or confirmed.
    const checkpoint = readCheckpoint(targetDir, 'it', TASK_ID);
    assert.ok(lsnValue(checkpoint.confirmed_lsn) <= lsnValue(before),
      `${label}: the checkpoint confirms ${checkpoint.confirmed_lsn}, past the lost transaction (${before} to ` +
      `${afterCommit})`);
    const slot = await slotInfo(cluster, defaultSlotName(TASK_ID));
    assert.ok(lsnValue(slot.confirmed_flush_lsn) <= lsnValue(before),
      `${label}: the slot confirmed ${slot.confirmed_flush_lsn}, past the lost transaction (${before} to ` +
      `${afterCommit})`);

    // With room to spill, the next run reads the transaction again and the table is exact.
    execFileSync('umount', [spillDir]);
    tmpfs = null;
    const h2 = await startStreaming(cluster, task, `${label}-run2`, { stop });
    await cluster.sql(`UPDATE ${SCHEMA}.big SET v = 'after', ver = ver + 1 WHERE id % 1000 = 0`);
    await reachStop(cluster, stop, SCHEMA);
    const run2 = await endWithin(h2, 120000, `${label}: the second run to ${stop}`).catch(async (e) => {
      await h2.signal('SIGKILL');
      throw e;
    });
    assert.equal(run2.code, 0, describeRun(run2));
    await verifyCdcTable({ cluster, targetDir, schema: SCHEMA, table: 'big', settings: s3Settings, expectLoad: true });
  });
