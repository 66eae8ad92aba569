// The CDC source side against a real PostgreSQL 15 (wal_level=logical, scripts/pg-cluster.sh): the test tool
// tests/fixtures/pgoutput_dump.cc (ReplicationConnection + PgoutputDecoder + TupleDecoder) creates a slot, streams
// a workload of inserts, updates (key changes, unchanged TOAST values, REPLICA IDENTITY FULL), deletes, a truncate
// of two tables, a rolled-back transaction, a savepoint rollback and an ALTER TABLE ADD COLUMN mid-stream, and stops
// at a logical message. Checked, in text and in binary mode: the exact ops and values in commit order, positions
// (commit_lsn, seq) strictly increasing, rolled-back rows absent, the new column present after the ALTER, the
// unchanged TOAST value shown as unchanged, and the slot's confirmed_flush_lsn at the last commit's end afterwards.
//
// Environment: PGS3_BUILD_DIR, the CMake build directory holding tests/unit/pgs3_pgoutput_dump (default:
// build/release), or PGS3_PGOUTPUT_DUMP, the tool itself. Run alone with
//   PGS3_BUILD_DIR=build/repl tests/integration/run.sh tests/integration/pgoutput_decoder.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { repoRoot } from './harness/env.mjs';

const buildDir = path.resolve(process.env.PGS3_BUILD_DIR || path.join(repoRoot, 'build/release'));
const dumpBin = process.env.PGS3_PGOUTPUT_DUMP
  ? path.resolve(process.env.PGS3_PGOUTPUT_DUMP) : path.join(buildDir, 'tests/unit/pgs3_pgoutput_dump');
const STOP = 'pgs3-test-stop';

let cluster;
before(async () => {
  if (!existsSync(dumpBin)) {
    throw new Error(`${dumpBin} is missing: build it (ninja -C ${buildDir} tests/unit/pgs3_pgoutput_dump) or set ` +
      'PGS3_BUILD_DIR / PGS3_PGOUTPUT_DUMP');
  }
  cluster = await startCluster();
  await cluster.sql(`CREATE TABLE pk_t (id int PRIMARY KEY, name text, amount numeric(10,2), flag bool)`);
  await cluster.sql(`CREATE TABLE nopk_t (a int, b text)`);
  await cluster.sql(`ALTER TABLE nopk_t REPLICA IDENTITY FULL`);
  // EXTERNAL: stored out of line without compression, so a 10000-byte value is TOASTed.
  await cluster.sql(`CREATE TABLE toast_t (id int PRIMARY KEY, big text, small int)`);
  await cluster.sql(`ALTER TABLE toast_t ALTER COLUMN big SET STORAGE EXTERNAL`);
  await cluster.sql(`CREATE PUBLICATION pgs3_pub FOR ALL TABLES`);
});
after(() => cluster?.stop());

function lsnValue(text) {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

// Starts the dump in the background; resolves `created` at its slot_created line and `done` at its exit.
function startDump(slot, binary) {
  const args = ['--connection', cluster.connectionString(), '--slot', slot, '--publication', 'pgs3_pub',
    '--create-slot', '--until-message', STOP, '--timeout-seconds', '90'];
  if (binary) args.push('--binary');
  const child = spawn(dumpBin, args, { env: { ...process.env, ...cluster.pgs3Env() },
    stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  let buffer = '';
  let onCreated;
  const created = new Promise((resolve) => { onCreated = resolve; });
  child.stdout.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (line.event === 'slot_created') onCreated(line);
    }
  });
  child.stderr.on('data', (chunk) => { stderr += chunk.toString('utf8'); });
  const done = new Promise((resolve) => {
    child.on('exit', (code) => { onCreated(null); resolve(code); });
  });
  // Bounded: the tool stops itself after --timeout-seconds; this is the backstop.
  const killer = setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 120_000);
  done.then(() => clearTimeout(killer));
  return { child, lines, created, done, stderr: () => stderr };
}

async function workload() {
  const c = await cluster.client();
  await c.query(`INSERT INTO pk_t VALUES (1, 'a', 1.50, true), (2, NULL, -2.25, false)`);
  await c.query(`UPDATE pk_t SET name = 'b' WHERE id = 1`);
  await c.query(`UPDATE pk_t SET id = 10 WHERE id = 2`);
  await c.query('BEGIN');
  await c.query(`INSERT INTO nopk_t VALUES (1, 'x')`);
  await c.query(`UPDATE nopk_t SET b = 'y' WHERE a = 1`);
  await c.query(`DELETE FROM nopk_t WHERE a = 1`);
  await c.query('COMMIT');
  await c.query(`INSERT INTO toast_t VALUES (1, repeat('x', 10000), 1)`);
  await c.query(`UPDATE toast_t SET small = 2 WHERE id = 1`);
  await c.query(`DELETE FROM pk_t WHERE id = 10`);
  await c.query('BEGIN');
  await c.query(`INSERT INTO pk_t VALUES (100, 'rolled back', 1, true)`);
  await c.query('ROLLBACK');
  await c.query('BEGIN');
  await c.query(`INSERT INTO pk_t (id, name) VALUES (3, 'keep')`);
  await c.query('SAVEPOINT s');
  await c.query(`INSERT INTO pk_t (id, name) VALUES (4, 'gone')`);
  await c.query('ROLLBACK TO SAVEPOINT s');
  await c.query(`INSERT INTO pk_t (id, name) VALUES (5, 'after')`);
  await c.query('COMMIT');
  await c.query(`ALTER TABLE pk_t ADD COLUMN extra int DEFAULT 7`);
  await c.query(`INSERT INTO pk_t (id, name) VALUES (6, 'new')`);
  await c.query(`TRUNCATE nopk_t, toast_t`);
  await c.query(`SELECT pg_logical_emit_message(true, '${STOP}', '')`);
}

const nulls4 = { name: null, amount: null, flag: null };
const big = 'x'.repeat(10000);
// [op, table, old_kind, old, new] in commit order.
const expectedRows = [
  ['insert', 'pk_t', undefined, undefined, { id: '1', name: 'a', amount: '1.50', flag: 'true' }],
  ['insert', 'pk_t', undefined, undefined, { id: '2', name: null, amount: '-2.25', flag: 'false' }],
  ['update', 'pk_t', undefined, undefined, { id: '1', name: 'b', amount: '1.50', flag: 'true' }],
  ['update', 'pk_t', 'K', { id: '2', ...nulls4 }, { id: '10', name: null, amount: '-2.25', flag: 'false' }],
  ['insert', 'nopk_t', undefined, undefined, { a: '1', b: 'x' }],
  ['update', 'nopk_t', 'O', { a: '1', b: 'x' }, { a: '1', b: 'y' }],
  ['delete', 'nopk_t', 'O', { a: '1', b: 'y' }, undefined],
  ['insert', 'toast_t', undefined, undefined, { id: '1', big, small: '1' }],
  ['update', 'toast_t', undefined, undefined, { id: '1', big: { unchanged_toast: true }, small: '2' }],
  ['delete', 'pk_t', 'K', { id: '10', ...nulls4 }, undefined],
  ['insert', 'pk_t', undefined, undefined, { id: '3', name: 'keep', amount: null, flag: null }],
  ['insert', 'pk_t', undefined, undefined, { id: '5', name: 'after', amount: null, flag: null }],
  ['insert', 'pk_t', undefined, undefined, { id: '6', name: 'new', amount: null, flag: null, extra: '7' }],
];

async function checkMode(binary) {
  const slot = binary ? 'pgs3_dump_binary' : 'pgs3_dump_text';
  const dump = startDump(slot, binary);
  try {
    const created = await dump.created;
    assert.ok(created, `the dump exited before creating its slot: ${dump.stderr()}`);
    assert.ok(lsnValue(created.consistent_point) > 0n);
    await workload();
    const code = await dump.done;
    assert.equal(code, 0, `pgs3_pgoutput_dump exited with ${code}: ${dump.stderr()}`);
  } finally {
    if (dump.child.exitCode === null) dump.child.kill('SIGKILL');
  }
  const lines = dump.lines.filter((l) => l.msg);
  const changes = lines.filter((l) => ['insert', 'update', 'delete', 'truncate', 'message'].includes(l.msg));

  // Exact ops and values in commit order.
  const rows = changes.filter((l) => ['insert', 'update', 'delete'].includes(l.msg));
  assert.deepEqual(rows.map((r) => [r.msg, r.table, r.old_kind, r.old, r.new]), expectedRows);
  assert.ok(rows.every((r) => r.schema === 'public'));
  const truncate = changes.filter((l) => l.msg === 'truncate');
  assert.equal(truncate.length, 1);
  assert.deepEqual([...truncate[0].relations].sort(), ['public.nopk_t', 'public.toast_t']);
  assert.equal(truncate[0].cascade, false);
  assert.equal(changes.at(-1).msg, 'message');
  assert.equal(changes.at(-1).prefix, STOP);
  assert.equal(changes.at(-1).transactional, true);
  assert.equal(changes.length, expectedRows.length + 2);

  // Values travelled as binary ('b') or text ('t') as asked; NULLs as 'n', the unchanged TOAST value as 'u'.
  const form = binary ? 'b' : 't';
  assert.equal(rows[0].new_forms, form.repeat(4));
  assert.equal(rows[1].new_forms, `${form}n${form}${form}`);
  assert.equal(rows[8].new_forms, `${form}u${form}`);

  // The relation was described again after ALTER TABLE, with the new column, before the row that has it.
  const relations = lines.map((l, i) => [l, i]).filter(([l]) => l.msg === 'relation' && l.table === 'pk_t');
  const lastPk = relations.at(-1);
  assert.deepEqual(lastPk[0].columns.map((c) => c.name), ['id', 'name', 'amount', 'flag', 'extra']);
  assert.deepEqual(lastPk[0].columns.map((c) => c.key), [true, false, false, false, false]);
  assert.ok(lastPk[1] < lines.findIndex((l) => l.msg === 'insert' && l.new?.id === '6'));
  assert.equal(lines.find((l) => l.msg === 'relation' && l.table === 'nopk_t').replica_identity, 'f');

  // Positions strictly increase; every change carries its transaction's commit LSN (Begin's final LSN == Commit's
  // commit LSN), seq counting from 1 inside each transaction.
  let prev = [-1n, 0];
  let txn = null;
  for (const l of lines) {
    if (l.msg === 'begin') {
      txn = { final: l.final_lsn, seq: 0 };
    } else if (l.msg === 'commit') {
      assert.equal(l.commit_lsn, txn.final);
      txn = null;
    } else if (changes.includes(l)) {
      assert.ok(txn, `${l.msg} outside a transaction`);
      assert.equal(l.commit_lsn, txn.final);
      assert.equal(l.seq, ++txn.seq);
      const pos = [lsnValue(l.commit_lsn), l.seq];
      assert.ok(pos[0] > prev[0] || (pos[0] === prev[0] && pos[1] > prev[1]), `position ${pos} after ${prev}`);
      prev = pos;
    }
  }

  // The slot's confirmed flush position advanced to the end of the last commit.
  const commits = lines.filter((l) => l.msg === 'commit');
  const lastEnd = commits.at(-1).end_lsn;
  const stopped = dump.lines.find((l) => l.event === 'stopped');
  assert.equal(stopped.confirmed_flush, lastEnd);
  const [slotRow] = await cluster.sql(
    `SELECT confirmed_flush_lsn::text AS c, active FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
  assert.equal(slotRow.c, lastEnd);
  assert.ok(lsnValue(slotRow.c) > lsnValue(commits.at(-1).commit_lsn));
  await cluster.sql(`SELECT pg_drop_replication_slot($1)`, [slot]);
  // The workload's tables are emptied / changed; restore them for the next mode.
  await cluster.sql(`DELETE FROM pk_t`);
  await cluster.sql(`ALTER TABLE pk_t DROP COLUMN extra`);
}

test('text mode: every message decoded in commit order with increasing positions', async () => {
  await checkMode(false);
});

test('binary mode: every message decoded in commit order with increasing positions', async () => {
  await checkMode(true);
});

test('a slot streamed by another process is refused naming the slot and that PID', async () => {
  const slot = 'pgs3_dump_busy';
  const first = startDump(slot, false);
  try {
    assert.ok(await first.created, `the first dump exited early: ${first.stderr()}`);
    // Wait (bounded) until the first dump holds the slot.
    let pid = null;
    for (let i = 0; i < 100 && !pid; i++) {
      const [row] = await cluster.sql(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      pid = row?.active_pid ?? null;
      if (!pid) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(pid, 'the first dump never became active on its slot');
    const second = spawn(dumpBin, ['--connection', cluster.connectionString(), '--slot', slot, '--publication',
      'pgs3_pub', '--until-message', STOP, '--timeout-seconds', '20'], { env: { ...process.env, ...cluster.pgs3Env() } });
    let stderr = '';
    second.stderr.on('data', (c) => { stderr += c.toString('utf8'); });
    const code = await new Promise((resolve) => second.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`replication slot "${slot}" is in use by another process \\(PID ${pid}\\)`));
    assert.ok(!stderr.includes(cluster.password));
    await cluster.sql(`SELECT pg_logical_emit_message(true, '${STOP}', '')`);
    assert.equal(await first.done, 0, first.stderr());
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  }
  await cluster.sql(`SELECT pg_drop_replication_slot($1)`, [slot]);
});
