// CDC on bad input and hostile conditions (issue 3, DESIGN.md §4): each case exits 2 with a message that names the
// thing to fix and writes nothing to the target (a fresh target stays empty; the target of a task that ran before
// keeps exactly its files), and where pgs3 would otherwise create them, no slot or publication is created. The cases:
// a selected table without primary key or replica identity, a slot held by another process, a publication that lacks
// a selected table, wal_level=replica, a slot whose WAL was removed (wal_status lost; with and without a checkpoint
// of the task), and a slot dropped after the task saved a checkpoint. A control case shows that the same cluster and
// task shape do replicate when nothing is wrong.
//
// Clusters: one with wal_level=logical for most cases, one with max_slot_wal_keep_size=1MB (slots whose WAL is
// removed) and one with wal_level=replica.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, listEntries, listFiles, makeTempDir, runPgs3, selectionRule,
} from './harness/pgs3.mjs';

// pgs3's default slot and publication name for a task (README: pgs3_<taskId>, lower case, '-' → '_').
const slotOf = (taskId) => `pgs3_${taskId.toLowerCase().replace(/-/g, '_')}`;

function cdcTask(cluster, targetDir, taskId, tables) {
  const task = fullLoadTask({ cluster, targetDir, taskId, s3Settings: { DataFormat: 'parquet' },
    rules: tables.map((t) => selectionRule('public', t)) });
  task.migrationType = 'cdc';
  return task;
}

// A run that must not stream: bounded well below the harness default, so that a pgs3 that starts streaming
// instead of failing ends the test in time (it shows as "timed out" in the assertion message).
const kBadRunTimeoutMs = 60000;

// What pgs3 reported as errors: the msg of every error-level JSON log line (and any line that is not JSON). The
// assertions look there, so that a warning that happens to name the same thing does not stand in for the error.
function errorText(r) {
  return r.logs.filter((l) => l.raw !== undefined || /^err/i.test(l.level)).map((l) => l.raw ?? l.msg).join('\n');
}

// Runs the CDC task on a fresh, empty target; requires exit 2, nothing in the target and an error message. Returns
// the error text (errorText()), or { errors, run } with withRun.
async function expectBadCdc(cluster, label, taskId, tables, { args = [], withRun = false } = {}) {
  const targetDir = makeTempDir('pgs3-it-target-');
  const r = await runPgs3(cdcTask(cluster, targetDir, taskId, tables),
    { env: cluster.pgs3Env(), label, args, timeoutMs: kBadRunTimeoutMs });
  assert.equal(r.code, 2, `${label}: expected exit 2 (bad configuration or input): ${describeRun(r)}`);
  assert.deepEqual(listEntries(targetDir), [], `${label}: something was written to the target on exit 2`);
  const errors = errorText(r);
  assert.ok(errors.trim().length > 0, `${label}: no error message at all: ${describeRun(r)}`);
  return withRun ? { errors, run: r } : errors;
}

async function slotNames(cluster) {
  return (await cluster.sql('SELECT slot_name FROM pg_replication_slots ORDER BY 1')).map((r) => r.slot_name);
}
async function publicationNames(cluster) {
  return (await cluster.sql('SELECT pubname FROM pg_publication ORDER BY 1')).map((r) => r.pubname);
}

// The WAL insert position, which includes every commit made so far (pg_current_wal_lsn() is the write position:
// with synchronous_commit=off, as the test clusters run, it can still be before the last commit).
async function currentLsn(cluster) {
  return (await cluster.sql('SELECT pg_current_wal_insert_lsn() AS l'))[0].l;
}

// Every file under dir with the SHA-256 of its content: what "nothing was written" compares.
function targetState(dir) {
  return Object.fromEntries(listFiles(dir).map((f) =>
    [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

// Runs the task once with a stop position at the current WAL end: pgs3 creates its publication and slot and saves
// its checkpoint in the target, as a task that ran and stopped leaves them.
async function runUntilNow(cluster, task, label) {
  const r = await runPgs3(task, { env: cluster.pgs3Env(), label, timeoutMs: kBadRunTimeoutMs,
    args: ['--cdc-stop-position', await currentLsn(cluster)] });
  assert.equal(r.code, 0, `${label}: ${describeRun(r)}`);
}

// Runs a task whose target already holds its checkpoint: requires exit 2 and the target unchanged.
async function expectBadCdcResume(cluster, label, task) {
  const before = targetState(task.target.path);
  assert.ok(Object.keys(before).some((f) => f.includes('_pgs3/')), `${label}: the first run saved no checkpoint`);
  const r = await runPgs3(task, { env: cluster.pgs3Env(), label, timeoutMs: kBadRunTimeoutMs });
  assert.equal(r.code, 2, `${label}: expected exit 2 (bad configuration or input): ${describeRun(r)}`);
  assert.deepEqual(targetState(task.target.path), before, `${label}: the target changed on exit 2`);
  const errors = errorText(r);
  assert.ok(errors.trim().length > 0, `${label}: no error message at all: ${describeRun(r)}`);
  return errors;
}

// Polls fn() until it returns a truthy value; fails after timeoutMs with `what`.
async function waitFor(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Streams from `slot` with pg_recvlogical (into /dev/null) under `applicationName`; resolves once the slot is
// active with { pid (the walsender's), exitCode(), stop() }.
// Drops `slot` once its walsender has noticed that the holder ended (it may still be active for a moment after the
// holder's exit, and pg_drop_replication_slot refuses an active slot).
async function dropReleasedSlot(cluster, slot) {
  await waitFor(`${slot} to be released`, async () =>
    (await cluster.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).length === 0);
  await cluster.sql(`SELECT pg_drop_replication_slot('${slot}')`);
}

async function holdSlot(cluster, slot, { applicationName = 'pg_recvlogical' } = {}) {
  const holder = spawn('/usr/lib/postgresql/15/bin/pg_recvlogical', [
    '-d', `${cluster.connectionString()} application_name=${applicationName}`,
    `--slot=${slot}`, '--start', '--no-loop', '-o', 'proto_version=1', '-o', `publication_names=${slot}`,
    '-f', '/dev/null'], { env: { ...process.env, PGPASSWORD: cluster.password }, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = [];
  holder.stderr.on('data', (b) => stderr.push(b));
  const exited = new Promise((resolve) => holder.on('close', resolve));
  const stop = async () => {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGTERM');
    await exited;
  };
  try {
    const pid = await waitFor(`pg_recvlogical to hold ${slot}`, async () => {
      if (holder.exitCode !== null) {
        throw new Error(`pg_recvlogical exited ${holder.exitCode}: ${Buffer.concat(stderr).toString()}`);
      }
      const [row] = await cluster.sql(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active`,
        [slot]);
      return row?.active_pid;
    });
    return { pid, exitCode: () => holder.exitCode, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

describe('cluster with wal_level=logical', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster({ conf: { wal_level: 'logical' } });
    await cluster.sql(`
      CREATE TABLE public.good (id int PRIMARY KEY, v text);
      CREATE TABLE public.nokey (v int, payload text);
      CREATE TABLE public.held (id int PRIMARY KEY, v text);
      CREATE TABLE public.listed (id int PRIMARY KEY, v text);
      CREATE TABLE public.unlisted (id int PRIMARY KEY, v text);
    `);
  });
  after(() => cluster?.stop());

  // The control: with nothing wrong, the same kind of task creates its slot and publication, replicates a change
  // and stops at the stop position with exit 0. Without it, the failures below could come from CDC not running.
  test('GoodTableReplicatesToTheStopPosition', async () => {
    const targetDir = makeTempDir('pgs3-it-target-');
    const task = cdcTask(cluster, targetDir, 'err-good', ['good']);
    const setup = await runPgs3(task, { env: cluster.pgs3Env(), label: 'good-setup', timeoutMs: kBadRunTimeoutMs,
      args: ['--cdc-stop-position', await currentLsn(cluster)] });
    assert.equal(setup.code, 0, `creating the slot: ${describeRun(setup)}`);
    assert.ok((await slotNames(cluster)).includes('pgs3_err_good'), 'the slot pgs3_err_good was not created');
    assert.ok((await publicationNames(cluster)).includes('pgs3_err_good'), 'the publication was not created');

    await cluster.sql(`INSERT INTO public.good VALUES (1, 'one')`);
    const r = await runPgs3(task, { env: cluster.pgs3Env(), label: 'good-run', timeoutMs: kBadRunTimeoutMs,
      args: ['--cdc-stop-position', await currentLsn(cluster)] });
    assert.equal(r.code, 0, describeRun(r));
    const files = listFiles(targetDir).filter((f) => /^it\/public\/good\/\d{8}-\d{9}\.parquet$/.test(f));
    assert.equal(files.length, 1, `one change file expected under it/public/good/: ${listFiles(targetDir)}`);
    await cluster.sql(`SELECT pg_drop_replication_slot('pgs3_err_good'); DROP PUBLICATION pgs3_err_good`);
  });

  test('TableWithoutPrimaryKeyOrReplicaIdentityIsNamedWithTheFix', async () => {
    const errors = await expectBadCdc(cluster, 'no-replica-identity', 'err-nokey', ['good', 'nokey']);
    assert.match(errors, /nokey/, 'the error names the table');
    assert.match(errors, /REPLICA IDENTITY/, 'the error names REPLICA IDENTITY (the fix)');
    assert.doesNotMatch(errors, /\bgood\b/, 'the table with a primary key is blamed too');
    // Found before anything is created (DESIGN.md §4).
    assert.ok(!(await slotNames(cluster)).includes('pgs3_err_nokey'), 'a slot was created before failing');
    assert.ok(!(await publicationNames(cluster)).includes('pgs3_err_nokey'), 'a publication was created before failing');
  });

  test('SlotHeldByAnotherProcessNamesTheSlotAndItsPid', async () => {
    const slot = slotOf('err-held');
    // The slot and publication exist (as pgs3 would have left them); another consumer streams from the slot.
    await cluster.sql(`CREATE PUBLICATION ${slot} FOR TABLE public.held`);
    await cluster.sql(`SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')`);
    const holder = await holdSlot(cluster, slot);
    try {
      const { errors, run } = await expectBadCdc(cluster, 'slot-held', 'err-held', ['held'], { withRun: true });
      assert.ok(errors.includes(slot), `the message names the slot ${slot}`);
      assert.match(errors, new RegExp(`\\b${holder.pid}\\b`), `the message names the holder's PID ${holder.pid}`);
      assert.match(errors, /pg_recvlogical/, "the message names the holder's application_name");
      // Only a holder under pgs3's own application_name (an earlier run going away) is waited for.
      assert.ok(!run.logs.some((l) => /waiting up to/.test(l.msg ?? l.raw)),
        `pgs3 waited for a slot held by another program: ${describeRun(run)}`);
      assert.equal(holder.exitCode(), null, 'pg_recvlogical, the holder, was disturbed');
    } finally {
      await holder.stop();
      await dropReleasedSlot(cluster, slot);
      await cluster.sql(`DROP PUBLICATION ${slot}`);
    }
  });

  // A slot held under pgs3's own application_name is what a pgs3 killed a moment ago leaves behind until its
  // walsender notices: the new run waits for the slot instead of failing, and streams once it is released.
  test('SlotHeldUnderPgs3sNameIsWaitedForAndTheRunGoesOnWhenReleased', async () => {
    const slot = slotOf('err-wait');
    const targetDir = makeTempDir('pgs3-it-target-');
    const task = cdcTask(cluster, targetDir, 'err-wait', ['held']);
    console.log('T0', Date.now());
    await runUntilNow(cluster, task, 'slot-wait-setup');
    console.log('T1', Date.now());
    const holder = await holdSlot(cluster, slot, { applicationName: 'pgs3' });
    console.log("T held", Date.now());
    try {
      await cluster.sql(`INSERT INTO public.held VALUES (1, 'one')`);
      let stderr = '';
      const running = runPgs3(task, { env: cluster.pgs3Env(), label: 'slot-wait', timeoutMs: kBadRunTimeoutMs,
        args: ['--cdc-stop-position', await currentLsn(cluster)], onStderr: (text) => { stderr = text; } });
      // Released only once pgs3 says it waits.
      await waitFor('pgs3 to say it waits for the slot', async () => /waiting up to/.test(stderr), 40000);
      assert.equal(holder.exitCode(), null, 'pg_recvlogical, the holder, was disturbed');
      await holder.stop();
      const r = await running;
      assert.equal(r.code, 0, `slot-wait: ${describeRun(r)}`);
      assert.ok(r.logs.some((l) => /waiting up to/.test(l.msg ?? l.raw)), `pgs3 did not wait: ${describeRun(r)}`);
      const files = listFiles(targetDir).filter((f) => /^it\/public\/held\/\d{8}-\d{9}\.parquet$/.test(f));
      assert.equal(files.length, 1, `one change file expected under it/public/held/: ${listFiles(targetDir)}`);
    } finally {
      await holder.stop();
      await dropReleasedSlot(cluster, slot);
      await cluster.sql(`DROP PUBLICATION ${slot}`);
    }
  });

  test('PublicationMissingASelectedTableNamesTheTableAndTheFix', async () => {
    const pub = slotOf('err-pub');
    await cluster.sql(`CREATE PUBLICATION ${pub} FOR TABLE public.listed`);
    try {
      const errors = await expectBadCdc(cluster, 'publication-missing-table', 'err-pub', ['listed', 'unlisted']);
      assert.match(errors, /unlisted/, 'the message names the table missing from the publication');
      assert.ok(errors.includes(pub), `the message names the publication ${pub}`);
      assert.match(errors, /ALTER PUBLICATION|DROP PUBLICATION/, 'the message gives the fix');
      assert.ok(!(await slotNames(cluster)).includes(pub), 'a slot was created before failing');
      // The publication is the user's: pgs3 must not have changed it on the way out.
      const tables = (await cluster.sql(`SELECT tablename FROM pg_publication_tables WHERE pubname = $1`, [pub]))
        .map((x) => x.tablename);
      assert.deepEqual(tables, ['listed'], 'the publication was changed');
    } finally {
      await cluster.sql(`DROP PUBLICATION ${pub}`);
    }
  });

  // The task ran (slot and checkpoint exist), then someone dropped the slot: the changes since the checkpoint are
  // gone, and only a new full load can make the target whole again.
  test('SlotDroppedAfterACheckpointSaysANewFullLoadIsNeeded', async () => {
    const slot = slotOf('err-dropped');
    const task = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-dropped', ['good']);
    await runUntilNow(cluster, task, 'slot-dropped-setup');
    await cluster.sql(`SELECT pg_drop_replication_slot('${slot}')`);
    try {
      const errors = await expectBadCdcResume(cluster, 'slot-dropped', task);
      assert.ok(errors.includes(slot), `the message names the slot ${slot}`);
      assert.match(errors, /full[ -]load/i, 'the message says a new full load is needed');
      assert.ok(!(await slotNames(cluster)).includes(slot), 'the slot was silently created again');
    } finally {
      await cluster.sql(`DROP PUBLICATION IF EXISTS ${slot}`);
    }
  });
});

// The checkpoint file of a task whose target is a local directory (bucket folder "it", as fullLoadTask writes it).
const checkpointFile = (task) => join(task.target.path, 'it', '_pgs3', task.taskId, 'checkpoint.json');

async function slotConfirmed(cluster, slot) {
  const rows = await cluster.sql(`SELECT confirmed_flush_lsn AS l FROM pg_replication_slots WHERE slot_name = '${slot}'`);
  return rows.length ? rows[0].l : null;
}

describe('slot identity', () => {
  let cluster;
  before(async () => {
    cluster = await startCluster({ conf: { wal_level: 'logical' } });
    await cluster.sql('CREATE TABLE public.good (id int PRIMARY KEY, v text)');
  });
  after(async () => { await cluster?.stop(); });

  // Values a Parquet column cannot hold are warned about in the stream as the full load warns about them: numeric
  // NaN in a DECIMAL (written as NULL), infinite dates and timestamps (written as the type's extreme integers).
  test('ValuesParquetCannotHoldAreWarnedAboutInTheStreamAsInTheFullLoad', async () => {
    const slot = slotOf('err-special');
    await cluster.sql('CREATE TABLE public.special (id int PRIMARY KEY, n numeric(5,2), d date, ts timestamp)');
    const task = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-special', ['special']);
    try {
      await runUntilNow(cluster, task, 'special-setup');
      await cluster.sql(`INSERT INTO public.special VALUES (1, 'NaN', 'infinity', '-infinity'),
                                                            (2, 1.5, '2024-01-01', '2024-01-01 10:00')`);
      const r = await runPgs3(task, { env: cluster.pgs3Env(), label: 'special-run', timeoutMs: kBadRunTimeoutMs,
        args: ['--cdc-stop-position', await currentLsn(cluster)] });
      assert.equal(r.code, 0, describeRun(r));
      const warnings = r.logs.filter((l) => l.level === 'warn').map((l) => l.msg).join('\n');
      assert.match(warnings, /"special" column "n": 1 numeric NaN\/Infinity values cannot be held by DECIMAL/, warnings);
      assert.match(warnings, /"special" column "d": 1 infinite date\/timestamp values/, warnings);
      assert.match(warnings, /"special" column "ts": 1 infinite date\/timestamp values/, warnings);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('${slot}'); DROP PUBLICATION IF EXISTS ${slot};
                         DROP TABLE public.special`);
    }
  });

  // An older copy of the checkpoint (a restored backup, a second writer's stale save) behind a slot that has moved
  // on: streaming would leave the changes between in no file. pgs3 stops and says so, and changes nothing.
  test('OlderCheckpointBehindItsSlotStopsWithTheGapInsteadOfStreaming', async () => {
    const slot = slotOf('err-old-ckpt');
    const task = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-old-ckpt', ['good']);
    try {
      await runUntilNow(cluster, task, 'old-checkpoint-first');
      const older = readFileSync(checkpointFile(task), 'utf8');
      await cluster.sql(`INSERT INTO public.good VALUES (1, 'one')`);
      await runUntilNow(cluster, task, 'old-checkpoint-second');
      const confirmed = await slotConfirmed(cluster, slot);
      writeFileSync(checkpointFile(task), older);
      const errors = await expectBadCdcResume(cluster, 'old-checkpoint', task);
      assert.ok(errors.includes(slot) && errors.includes(confirmed), `names the slot and its position: ${errors}`);
      assert.match(errors, /past the checkpoint/, errors);
      assert.match(errors, /full load/, errors);
      assert.equal(await slotConfirmed(cluster, slot), confirmed, 'the slot was not touched');
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('${slot}'); DROP PUBLICATION IF EXISTS ${slot}`);
    }
  });

  // A new full-load-and-cdc task given another task's slot name: before, pgs3 dropped that slot (taking the other
  // task's unconfirmed changes with it). Now it refuses, and the slot stays as it was.
  test('NewTaskWithAnotherTasksSlotNameIsRefusedAndThatSlotIsKept', async () => {
    const slot = slotOf('err-owner');
    const owner = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-owner', ['good']);
    owner.migrationType = 'full-load-and-cdc';
    try {
      await runUntilNow(cluster, owner, 'slot-owner');
      const confirmed = await slotConfirmed(cluster, slot);
      assert.ok(confirmed, 'the owner created its slot');
      const intruder = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-intruder', ['good']);
      intruder.migrationType = 'full-load-and-cdc';
      intruder.source.slotName = slot;
      const r = await runPgs3(intruder, { env: cluster.pgs3Env(), label: 'slot-intruder', timeoutMs: kBadRunTimeoutMs });
      assert.equal(r.code, 2, `expected exit 2: ${describeRun(r)}`);
      assert.deepEqual(listEntries(intruder.target.path), [], 'the intruder wrote to its target');
      const errors = errorText(r);
      assert.ok(errors.includes(`pg_drop_replication_slot('${slot}')`), `says how to drop it if it is nobody's: ${errors}`);
      assert.equal(await slotConfirmed(cluster, slot), confirmed, 'the owner\'s slot was dropped or moved');
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('${slot}'); DROP PUBLICATION IF EXISTS ${slot};
                         DROP PUBLICATION IF EXISTS pgs3_err_intruder`);
    }
  });

  // The checkpoint records the source's system identifier: a connection that reaches another cluster (a restored
  // copy, another environment) is refused before anything is written.
  test('CheckpointOfAnotherDatabaseSystemIsRefusedNamingBoth', async () => {
    const slot = slotOf('err-system');
    const task = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-system', ['good']);
    try {
      await runUntilNow(cluster, task, 'system-first');
      const checkpoint = JSON.parse(readFileSync(checkpointFile(task), 'utf8'));
      assert.match(checkpoint.system_identifier, /^\d+$/, 'the checkpoint records the system identifier');
      assert.equal(checkpoint.database, cluster.database);
      const real = checkpoint.system_identifier;
      checkpoint.system_identifier = '1234567890';
      writeFileSync(checkpointFile(task), JSON.stringify(checkpoint));
      const errors = await expectBadCdcResume(cluster, 'other-system', task);
      assert.ok(errors.includes('1234567890') && errors.includes(real), `names both systems: ${errors}`);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('${slot}'); DROP PUBLICATION IF EXISTS ${slot}`);
    }
  });
});

// Nobody consumes the slot: generates WAL and switches segments until a checkpoint invalidates the slot (wal_status
// lost; the cluster runs with max_slot_wal_keep_size=1MB).
async function loseSlotWal(cluster, slot) {
  await waitFor(`wal_status = 'lost' for ${slot}`, async () => {
    await cluster.sql(`INSERT INTO public.churn SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g
                       ON CONFLICT (id) DO UPDATE SET v = excluded.v`);
    await cluster.sql('SELECT pg_switch_wal()');
    await cluster.sql('CHECKPOINT');
    const [row] = await cluster.sql('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    return row?.wal_status === 'lost';
  }, 60000);
}

describe('cluster with max_slot_wal_keep_size=1MB', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster({ conf: { wal_level: 'logical', max_slot_wal_keep_size: '1MB' } });
    await cluster.sql('CREATE TABLE public.churn (id int PRIMARY KEY, v text)');
  });
  after(() => cluster?.stop());

  test('SlotWhoseWalWasRemovedSaysANewFullLoadIsNeeded', async () => {
    const slot = slotOf('err-lost');
    await cluster.sql(`CREATE PUBLICATION ${slot} FOR TABLE public.churn`);
    await cluster.sql(`SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')`);
    await loseSlotWal(cluster, slot);
    const errors = await expectBadCdc(cluster, 'slot-wal-lost', 'err-lost', ['churn']);
    assert.ok(errors.includes(slot), `the message names the slot ${slot}`);
    assert.match(errors, /full[ -]load/i, 'the message says a new full load is needed');
  });

  // The same when pgs3 itself created the slot and left a checkpoint, then stopped long enough to lose the WAL.
  test('SlotOfAStoppedTaskWhoseWalWasRemovedSaysANewFullLoadIsNeeded', async () => {
    const slot = slotOf('err-lost2');
    const task = cdcTask(cluster, makeTempDir('pgs3-it-target-'), 'err-lost2', ['churn']);
    await runUntilNow(cluster, task, 'slot-wal-lost-setup');
    await loseSlotWal(cluster, slot);
    const errors = await expectBadCdcResume(cluster, 'slot-wal-lost-resume', task);
    assert.ok(errors.includes(slot), `the message names the slot ${slot}`);
    assert.match(errors, /full[ -]load/i, 'the message says a new full load is needed');
  });
});

describe('cluster with wal_level=replica', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster({ conf: { wal_level: 'replica' } });
    await cluster.sql('CREATE TABLE public.t (id int PRIMARY KEY, v text)');
  });
  after(() => cluster?.stop());

  test('WalLevelReplicaNamesWalLevel', async () => {
    const errors = await expectBadCdc(cluster, 'wal-level-replica', 'err-wal', ['t']);
    assert.match(errors, /wal_level/, 'the message names wal_level');
    assert.match(errors, /logical/, 'the message names the value it needs');
    assert.deepEqual(await slotNames(cluster), [], 'a slot was created');
    assert.deepEqual(await publicationNames(cluster), [], 'a publication was created before failing');
  });
});
