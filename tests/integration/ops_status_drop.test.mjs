// Operating a task: `pgs3 status TASK.json [--json]` (checkpoint, table statistics, slot lag, WAL retained),
// `pgs3 drop TASK.json [--yes] [--purge-target]` (slot, publication, target files) and `--log-format json` (every
// stderr line a JSON object with time, level and msg). One cluster; slots and publications are made by SQL and the
// checkpoint is written by hand in src/state/checkpoint.h's format (full-load tasks keep none).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { knownPasswords, startCluster } from './harness/cluster.mjs';
import { outputLogDir, pgs3Bin } from './harness/env.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, listFiles, makeTempDir, runPgs3, runPgs3Command, selectionRule,
  writeTaskFile,
} from './harness/pgs3.mjs';

let runs = 0;
// pgoutput commit times count microseconds from 2000-01-01 00:00:00 UTC.
const pgEpochMs = Date.UTC(2000, 0, 1);

const writeTask = (task) => writeTaskFile(task);

// Runs `pgs3 <args>` (harness runPgs3Command). `stdin`: 'ignore' (not a terminal) or a string.
const pgs3 = (args, { timeoutMs = 60000, ...options } = {}) => runPgs3Command(args, { timeoutMs, ...options });

async function statusJson(taskFile, env, label) {
  const r = await pgs3(['status', taskFile, '--json'], { env, label });
  let doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`status --json printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { ...r, doc };
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function cdcTask(cluster, targetDir, { taskId, slot, publication, port, bucketFolder = 'lake' }) {
  const connection = port === undefined ? cluster.connectionString()
    : `host=127.0.0.1 port=${port} dbname=${cluster.database} user=${cluster.superuser}`;
  return {
    taskId,
    migrationType: 'full-load-and-cdc',
    source: { connection, slotName: slot, publicationName: publication },
    target: { type: 'local', path: targetDir, s3Settings: { BucketFolder: bucketFolder, DataFormat: 'parquet' } },
    tableMappings: { rules: [selectionRule('public', '%')] },
  };
}

// Writes <target>/<folder>/_pgs3/<taskId>/checkpoint.json (src/state/checkpoint.h, format version 1).
function writeCheckpoint(targetDir, folder, checkpoint) {
  const dir = join(targetDir, folder, '_pgs3', checkpoint.task_id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ format: 'pgs3-checkpoint', version: 1, ...checkpoint }));
}

// Writes <target>/<folder>/_pgs3/<taskId>/lease.json (src/state/task_lease.h) naming this test process as the
// holder: a live process of this machine, so the lease is held until `released` or its duration passes.
function writeLease(targetDir, folder, taskId, { released = false } = {}) {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const dir = join(targetDir, folder, '_pgs3', taskId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lease.json'), JSON.stringify({ format: 'pgs3-task-lease', version: 1, generation: 4,
    holder: { host: hostname(), pid: process.pid, boot, started, token: 'test' }, since: '2026-12-01T10:00:00.000Z',
    duration_s: 120, renewals: 9, released }));
}

async function slotRow(cluster, name) {
  const rows = await cluster.sql('SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1', [name]);
  return rows[0] ?? null;
}

async function publicationExists(cluster, name) {
  return (await cluster.sql('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).length === 1;
}

describe('status, drop and JSON logs', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster();
    await cluster.sql(`
      CREATE TABLE public.orders (id int PRIMARY KEY, note text);
      INSERT INTO public.orders SELECT g, 'note ' || g FROM generate_series(1, 250) g;
      CREATE TABLE public.items (id int PRIMARY KEY, qty int);
      INSERT INTO public.items SELECT g, g * 2 FROM generate_series(1, 40) g;
    `);
  });
  after(() => cluster?.stop());

  test('FullLoadWithJsonLogsPrintsOnlyJsonLinesAndStatusSaysNotRun', async () => {
    const target = makeTempDir('pgs3-it-target-');
    const task = fullLoadTask({ cluster, targetDir: target, bucketFolder: 'lake', taskId: 'ops-fl',
      s3Settings: { DataFormat: 'parquet' } });
    const run = await runPgs3(task, { env: cluster.pgs3Env(), args: ['--log-format', 'json'], label: 'json-logs' });
    assert.equal(run.code, 0, describeRun(run));
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 3, run.stderr);
    for (const line of lines) {
      const o = JSON.parse(line);  // throws, failing the test, on any line that is not JSON
      assert.equal(typeof o, 'object');
      assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
      assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level), line);
      assert.equal(typeof o.msg, 'string', line);
      assert.ok(o.msg.length > 0, line);
    }
    assert.ok(lines.some((l) => /orders/.test(JSON.parse(l).msg)), 'a log line names the table loaded');

    const taskFile = writeTask(task);
    const s = await statusJson(taskFile, cluster.pgs3Env(), 'status-full-load');
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.equal(s.doc.task_id, 'ops-fl');
    assert.equal(s.doc.migration_type, 'full-load');
    assert.equal(s.doc.checkpoint, null);
    assert.deepEqual(s.doc.tables, []);
    assert.equal(s.doc.checkpoint_key, 'lake/_pgs3/ops-fl/checkpoint.json');
    assert.equal(s.doc.server.reachable, true);
    assert.equal(s.doc.slot.exists, false);
    assert.deepEqual(s.doc.errors, []);

    const text = await pgs3(['status', taskFile], { env: cluster.pgs3Env(), label: 'status-full-load-text' });
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /^checkpoint: none in directory .*: the task has not run yet/m);
    assert.match(text.stdout, /^slot "pgs3_ops_fl": does not exist \(a full-load task uses none\)$/m);
    // status wrote nothing: the target holds the LOAD files and the lease the full load released.
    assert.ok(listFiles(target).every((f) =>
      /^lake\/public\/(orders|items)\/LOAD0000000\d\.parquet$/.test(f) || f === 'lake/_pgs3/ops-fl/lease.json'),
      listFiles(target).join('\n'));
  });

  test('StatusReportsCheckpointStatisticsSlotLagAndWalRetained', async () => {
    const target = makeTempDir('pgs3-it-target-');
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_st', 'pgoutput')`);
    await cluster.sql('CREATE PUBLICATION pgs3_st FOR TABLE public.orders, public.items');
    try {
      const [slot] = await cluster.sql(
        `SELECT confirmed_flush_lsn::text AS c, restart_lsn::text AS r FROM pg_replication_slots
          WHERE slot_name = 'pgs3_st'`);
      // WAL written after the slot's position: the slot lags behind it.
      await cluster.sql(`INSERT INTO public.items SELECT g, 0 FROM generate_series(1000, 1999) g`);
      const commitMs = Date.now() - 90_000;
      writeCheckpoint(target, 'lake', {
        sequence: 7, task_id: 'ops-st', slot_name: 'pgs3_st', phase: 'cdc', confirmed_lsn: slot.c,
        tables: [
          { schema: 'public', table: 'orders', relation_oid: 0, durable_position: `${slot.c}:3`, snapshot_lsn: null,
            last_change_file: '20261130-233000123.parquet',
            statistics: { full_load_rows: 250, inserts: 5, updates: 2, deletes: 1, ddls: 1, truncates: 0, files: 3,
              last_file_key: 'lake/public/orders/20261130-233000123.parquet',
              last_commit_time_us: (commitMs - pgEpochMs) * 1000 } },
          { schema: 'public', table: 'items', relation_oid: 0, durable_position: null, snapshot_lsn: null,
            last_change_file: '',
            statistics: { full_load_rows: 40, inserts: 0, updates: 0, deletes: 0, ddls: 0, truncates: 1, files: 1,
              last_file_key: 'lake/public/items/LOAD00000001.parquet', last_commit_time_us: null } },
        ],
      });
      const taskFile = writeTask(cdcTask(cluster, target, { taskId: 'ops-st', slot: 'pgs3_st', publication: 'pgs3_st' }));
      const [before] = await cluster.sql(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${slot.c}')::text AS lag,
                pg_wal_lsn_diff(pg_current_wal_lsn(), '${slot.r}')::text AS retained`);
      const s = await statusJson(taskFile, cluster.pgs3Env(), 'status-cdc');
      const [afterRow] = await cluster.sql(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${slot.c}')::text AS lag,
                pg_wal_lsn_diff(pg_current_wal_lsn(), '${slot.r}')::text AS retained`);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      assert.deepEqual(s.doc.errors, []);
      assert.deepEqual(s.doc.checkpoint,
        { sequence: 7, phase: 'cdc', confirmed_lsn: slot.c, slot_name: 'pgs3_st' });
      assert.deepEqual(s.doc.tables.map((t) => [t.schema, t.table, t.full_load_rows, t.inserts, t.updates, t.deletes,
        t.ddls, t.truncates, t.files, t.last_file]), [
        ['public', 'orders', 250, 5, 2, 1, 1, 0, 3, 'lake/public/orders/20261130-233000123.parquet'],
        ['public', 'items', 40, 0, 0, 0, 0, 1, 1, 'lake/public/items/LOAD00000001.parquet'],
      ]);
      assert.equal(s.doc.tables[0].last_change_time, new Date(commitMs).toISOString());
      assert.equal(s.doc.tables[1].last_change_time, null);
      assert.equal(s.doc.tables[0].durable_position, `${slot.c}:3`);

      const sl = s.doc.slot;
      assert.equal(sl.exists, true);
      assert.equal(sl.active, false);
      assert.equal(sl.active_pid, null);
      assert.equal(sl.plugin, 'pgoutput');
      assert.equal(sl.wal_status, 'reserved');
      assert.equal(sl.confirmed_flush_lsn, slot.c);
      assert.equal(sl.restart_lsn, slot.r);
      assert.ok(sl.lag_bytes > 0, JSON.stringify(sl));
      assert.ok(sl.lag_bytes >= Number(before.lag) && sl.lag_bytes <= Number(afterRow.lag), JSON.stringify(sl));
      assert.ok(sl.wal_retained_bytes >= Number(before.retained) && sl.wal_retained_bytes <= Number(afterRow.retained),
        JSON.stringify(sl));
      // Behind, so the lag in seconds is the age of the newest durable change (90 s ago).
      assert.ok(sl.lag_seconds >= 89 && sl.lag_seconds < 600, JSON.stringify(sl));
      assert.deepEqual(s.doc.publication, { name: 'pgs3_st', exists: true, tables: 2 });

      const text = await pgs3(['status', taskFile], { env: cluster.pgs3Env(), label: 'status-cdc-text' });
      assert.equal(text.code, 0, text.stdout + text.stderr);
      assert.match(text.stdout, /^checkpoint: lake\/_pgs3\/ops-st\/checkpoint\.json in directory .* \(sequence 7\)$/m);
      assert.match(text.stdout, /^ {2}phase +cdc$/m);
      assert.match(text.stdout, /^slot "pgs3_st": inactive .*wal_status reserved$/m);
      assert.match(text.stdout, /^ {2}lag +\d+ bytes \(.*, \d+\.\d s\)$/m);
      assert.match(text.stdout, /^ {2}WAL retained +\d+ bytes/m);
      assert.match(text.stdout, /^publication "pgs3_st": exists, 2 table\(s\)$/m);
      assert.match(text.stdout,
        /^ {2}"public"\."orders" +250 +5 +2 +1 +1 +0 +3 {2}\d{4}-\d\d-\d\dT\S+Z +lake\/public\/orders\/20261130/m);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                          WHERE slot_name = 'pgs3_st'`);
      await cluster.sql('DROP PUBLICATION IF EXISTS pgs3_st');
    }
  });

  test('StatusWithUnreachableServerPrintsTheCheckpointAndExitsOne', async () => {
    const target = makeTempDir('pgs3-it-target-');
    writeCheckpoint(target, 'lake', { sequence: 2, task_id: 'ops-down', slot_name: 'pgs3_down', phase: 'full-load',
      confirmed_lsn: '0/0', tables: [] });
    const port = await closedPort();
    const taskFile = writeTask(cdcTask(cluster, target,
      { taskId: 'ops-down', slot: 'pgs3_down', publication: 'pgs3_down', port }));
    const s = await statusJson(taskFile, cluster.pgs3Env(), 'status-down');
    assert.equal(s.code, 1, s.stdout + s.stderr);
    assert.equal(s.doc.checkpoint.phase, 'full-load');
    assert.equal(s.doc.checkpoint.sequence, 2);
    assert.equal(s.doc.server.reachable, false);
    assert.equal(s.doc.errors.length, 1);
    assert.match(s.doc.errors[0], new RegExp(`^server: cannot connect to PostgreSQL .*port ${port}`));
    const text = await pgs3(['status', taskFile], { env: cluster.pgs3Env(), label: 'status-down-text' });
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^ {2}phase +full-load$/m);
    assert.match(text.stdout, /^server: cannot be read: cannot connect to PostgreSQL/m);
  });

  test('DropWithoutYesAndWithoutTerminalRefusesAndRemovesNothing', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_keep', 'pgoutput')`);
    await cluster.sql('CREATE PUBLICATION pgs3_keep FOR TABLE public.orders');
    try {
      const taskFile = writeTask(cdcTask(cluster, makeTempDir('pgs3-it-target-'),
        { taskId: 'ops-keep', slot: 'pgs3_keep', publication: 'pgs3_keep' }));
      const r = await pgs3(['drop', taskFile], { env: cluster.pgs3Env(), label: 'drop-no-tty' });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /stdin is not a terminal.*--yes/);
      assert.match(r.stderr, /Nothing was removed/);
      assert.notEqual(await slotRow(cluster, 'pgs3_keep'), null);
      assert.equal(await publicationExists(cluster, 'pgs3_keep'), true);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('pgs3_keep')`);
      await cluster.sql('DROP PUBLICATION pgs3_keep');
    }
  });

  test('DropAsksForTheTaskIdOnATerminal', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_ask', 'pgoutput')`);
    try {
      const taskFile = writeTask(cdcTask(cluster, makeTempDir('pgs3-it-target-'),
        { taskId: 'ops-ask', slot: 'pgs3_ask', publication: 'pgs3_ask' }));
      // util-linux `script` gives pgs3 a pseudo-terminal on stdin and forwards what we write to it.
      const ask = async (answer, label) => {
        const childEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
          if (!k.startsWith('PG') && !k.startsWith('AWS_')) childEnv[k] = v;
        }
        Object.assign(childEnv, cluster.pgs3Env(), { PGPASSFILE: '/nonexistent/pgs3-it-pgpass' });
        const child = spawn('script', ['-q', '-e', '-c', `${pgs3Bin} drop ${taskFile}`, '/dev/null'],
          { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => out.push(b));
        // Answer once the question is on the terminal.
        let answered = false;
        child.stdout.on('data', () => {
          if (!answered && Buffer.concat(out).toString().includes('to confirm:')) {
            answered = true;
            child.stdin.write(`${answer}\n`);
          }
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
        const code = await new Promise((resolve) => child.on('close', resolve));
        clearTimeout(timer);
        const text = Buffer.concat(out).toString('utf8');
        writeFileSync(join(outputLogDir, `${process.pid}-ops-${String(++runs).padStart(3, '0')}-${label}.log`), text);
        assert.ok(!knownPasswords().some((pw) => text.includes(pw)), 'drop printed a password');
        return { code, text };
      };
      const wrong = await ask('not-the-id', 'drop-tty-wrong');
      assert.equal(wrong.code, 2, wrong.text);
      assert.match(wrong.text, /type the task id \(ops-ask\) to confirm:/);
      assert.match(wrong.text, /not confirmed/);
      assert.notEqual(await slotRow(cluster, 'pgs3_ask'), null);
      const right = await ask('ops-ask', 'drop-tty-right');
      assert.equal(right.code, 0, right.text);
      assert.match(right.text, /dropped slot "pgs3_ask"/);
      assert.equal(await slotRow(cluster, 'pgs3_ask'), null);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                          WHERE slot_name = 'pgs3_ask'`);
    }
  });

  test('DropRemovesSlotAndPublicationAndIsIdempotent', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_gone', 'pgoutput')`);
    await cluster.sql('CREATE PUBLICATION pgs3_gone FOR TABLE public.orders');
    const taskFile = writeTask(cdcTask(cluster, makeTempDir('pgs3-it-target-'),
      { taskId: 'ops-gone', slot: 'pgs3_gone', publication: 'pgs3_gone' }));
    const r = await pgs3(['drop', taskFile, '--yes'], { env: cluster.pgs3Env(), label: 'drop-yes' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^dropped slot "pgs3_gone"$/m);
    assert.match(r.stdout, /^dropped publication "pgs3_gone"$/m);
    assert.equal(await slotRow(cluster, 'pgs3_gone'), null);
    assert.equal(await publicationExists(cluster, 'pgs3_gone'), false);

    const again = await pgs3(['drop', taskFile, '--yes'], { env: cluster.pgs3Env(), label: 'drop-again' });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^slot "pgs3_gone" did not exist$/m);
    assert.match(again.stdout, /^publication "pgs3_gone" did not exist$/m);
  });

  test('DropRefusesAnActiveSlotNamingItsPidThenDropsOnceItIsReleased', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_busy', 'test_decoding')`);
    const pgBin = '/usr/lib/postgresql/15/bin/pg_recvlogical';
    const holder = spawn(pgBin, ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.superuser,
      '-d', cluster.database, '--slot', 'pgs3_busy', '--start', '-f', '/dev/null'],
    { env: { ...process.env, PGPASSWORD: cluster.password }, stdio: 'ignore' });
    try {
      const deadline = Date.now() + 30000;
      let row;
      // Values arrive as PostgreSQL's text: 't' is true.
      while ((row = await slotRow(cluster, 'pgs3_busy'))?.active !== 't') {
        if (Date.now() > deadline) throw new Error('pg_recvlogical did not take the slot');
        await new Promise((res) => setTimeout(res, 100));
      }
      const taskFile = writeTask(cdcTask(cluster, makeTempDir('pgs3-it-target-'),
        { taskId: 'ops-busy', slot: 'pgs3_busy', publication: 'pgs3_busy' }));
      const r = await pgs3(['drop', taskFile, '--yes'], { env: cluster.pgs3Env(), label: 'drop-active' });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`slot "pgs3_busy" is in use by PID ${row.active_pid} \\(application_name "pg_recvlogical"`));
      assert.match(r.stderr, /Nothing was removed/);
      assert.notEqual(await slotRow(cluster, 'pgs3_busy'), null);

      holder.kill('SIGTERM');
      const ok = await pgs3(['drop', taskFile, '--yes'], { env: cluster.pgs3Env(), label: 'drop-released' });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.equal(await slotRow(cluster, 'pgs3_busy'), null);
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
      await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                          WHERE slot_name = 'pgs3_busy' AND NOT active`);
    }
  });

  // A pgs3 that runs the task holds its lease also where the slot does not show it (during its full load, while it
  // reconnects): status names the holder, and drop refuses until the lease is released.
  test('StatusNamesTheLeaseHolderAndDropRefusesWhileTheLeaseIsHeld', async () => {
    const target = makeTempDir('pgs3-it-target-');
    await cluster.sql(`SELECT pg_create_logical_replication_slot('pgs3_leased', 'pgoutput')`);
    try {
      const taskFile = writeTask(cdcTask(cluster, target,
        { taskId: 'ops-leased', slot: 'pgs3_leased', publication: 'pgs3_leased' }));
      const none = await statusJson(taskFile, cluster.pgs3Env(), 'status-no-lease');
      assert.equal(none.doc.lease, null, JSON.stringify(none.doc));

      writeLease(target, 'lake', 'ops-leased');
      const s = await statusJson(taskFile, cluster.pgs3Env(), 'status-leased');
      assert.equal(s.code, 0, s.stdout + s.stderr);
      assert.deepEqual({ ...s.doc.lease, written_seconds_ago: 0 }, { state: 'held', generation: 4, host: hostname(),
        pid: process.pid, since: '2026-12-01T10:00:00.000Z', written_seconds_ago: 0, duration_s: 120 });
      const text = await pgs3(['status', taskFile], { env: cluster.pgs3Env(), label: 'status-leased-text' });
      assert.match(text.stdout, new RegExp(`^lease: held, generation 4: host ${hostname()}, PID ${process.pid}, since `,
        'm'), text.stdout);

      const refused = await pgs3(['drop', taskFile, '--yes', '--purge-target'],
        { env: cluster.pgs3Env(), label: 'drop-leased' });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, new RegExp(`another pgs3 runs this task: host ${hostname()}, PID ${process.pid}`));
      assert.match(refused.stderr, /Nothing was removed/);
      assert.notEqual(await slotRow(cluster, 'pgs3_leased'), null, 'the slot was dropped under a running task');
      assert.deepEqual(listFiles(target), ['lake/_pgs3/ops-leased/lease.json']);

      writeLease(target, 'lake', 'ops-leased', { released: true });
      assert.equal((await statusJson(taskFile, cluster.pgs3Env(), 'status-released')).doc.lease.state, 'released');
      const ok = await pgs3(['drop', taskFile, '--yes', '--purge-target'], { env: cluster.pgs3Env(),
        label: 'drop-released-lease' });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.equal(await slotRow(cluster, 'pgs3_leased'), null);
      assert.deepEqual(listFiles(target), []);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                          WHERE slot_name = 'pgs3_leased'`);
    }
  });

  test('PurgeTargetRemovesTheTasksFilesAndStateOnly', async () => {
    const target = makeTempDir('pgs3-it-target-');
    const rules = [selectionRule('public', 'orders'), selectionRule('public', 'items')];
    const run = await runPgs3(fullLoadTask({ cluster, targetDir: target, bucketFolder: 'lake', taskId: 'ops-purge',
      rules, s3Settings: { DataFormat: 'parquet' } }), { env: cluster.pgs3Env(), label: 'purge-load' });
    assert.equal(run.code, 0, describeRun(run));
    writeCheckpoint(target, 'lake', { sequence: 1, task_id: 'ops-purge', slot_name: 'pgs3_ops_purge',
      phase: 'cdc', confirmed_lsn: '0/0', tables: [{ schema: 'public', table: 'dropped_since', relation_oid: 0,
        durable_position: null, snapshot_lsn: null, last_change_file: '', statistics: {} }] });
    // A table the checkpoint names (no longer selected), and things that are not this task's.
    const extra = {
      'lake/public/dropped_since/20261130-233000123.parquet': 'x',
      'lake/public/orders/2026/11/30/20261130-233000123.parquet': 'x',
      'lake/public/other_table/LOAD00000001.parquet': 'keep',
      'lake/_pgs3/another-task/checkpoint.json': 'keep',
      'elsewhere/public/orders/LOAD00000001.parquet': 'keep',
    };
    for (const [key, v] of Object.entries(extra)) {
      mkdirSync(join(target, key, '..'), { recursive: true });
      writeFileSync(join(target, key), v);
    }
    const before = listFiles(target);
    assert.ok(before.includes('lake/public/orders/LOAD00000001.parquet'), before.join('\n'));
    assert.ok(before.includes('lake/public/items/LOAD00000001.parquet'), before.join('\n'));

    const taskFile = writeTask({ ...cdcTask(cluster, target, { taskId: 'ops-purge', slot: 'pgs3_ops_purge',
      publication: 'pgs3_ops_purge' }), tableMappings: { rules } });
    const r = await pgs3(['drop', taskFile, '--yes', '--purge-target'], { env: cluster.pgs3Env(), label: 'purge' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^removed 2 object\(s\) under lake\/public\/orders\/$/m);
    assert.match(r.stdout, /^removed 1 object\(s\) under lake\/public\/items\/$/m);
    assert.match(r.stdout, /^removed 1 object\(s\) under lake\/public\/dropped_since\/$/m);
    // The checkpoint and the lease the full load released.
    assert.match(r.stdout, /^removed 2 object\(s\) under lake\/_pgs3\/ops-purge\/$/m);
    assert.deepEqual(listFiles(target), [
      'elsewhere/public/orders/LOAD00000001.parquet',
      'lake/_pgs3/another-task/checkpoint.json',
      'lake/public/other_table/LOAD00000001.parquet',
    ]);
    assert.ok(!existsSync(join(target, 'lake', '_pgs3', 'ops-purge', 'checkpoint.json')));
  });
});
