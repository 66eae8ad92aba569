// `pgs3 run --metrics-listen HOST:PORT`: a bad address is refused before anything runs; while a task runs, /metrics
// serves Prometheus' text format (version 0.0.4) and /healthz answers 200; the port is released when the task ends;
// a busy port fails the run with exit 2 before anything is written.
//
// The full load is held still by an ACCESS EXCLUSIVE lock on the table it reads (its COPY waits for the lock), so
// the endpoint can be scraped while the task is certainly running; committing the lock's transaction lets it finish.
// During CDC, the metric values are checked against the work done: changes by table and op, rows and files written,
// transactions, checkpoints, the phase, and the confirmed LSN against the slot's.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { knownPasswords, startCluster } from './harness/cluster.mjs';
import { outputLogDir, pgs3Bin } from './harness/env.mjs';
import { assertPgs3Works, describeRun, fullLoadTask, listFiles, makeTempDir, runPgs3 } from './harness/pgs3.mjs';
import { cdcTask, defaultSlotName, endWithin, startPgs3, waitFor } from './harness/cdc.mjs';

// GET http://127.0.0.1:port/path → {status, headers, body}, or {error} when nothing answers.
function httpGet(port, path) {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error }));
  });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Prometheus text exposition format 0.0.4: every line is a comment (# HELP / # TYPE name ...) or a sample
// `name{label="value",...} number`. Returns the samples as {name, labels, value}.
function parseExposition(text) {
  const samples = [];
  const typed = new Set();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(comment[3]), line);
        assert.ok(!typed.has(comment[2]), `TYPE twice for ${comment[2]}`);
        typed.add(comment[2]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let lm;
      let consumed = 0;
      while ((lm = re.exec(m[2])) !== null) {
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        consumed = re.lastIndex;
        if (lm[3] === '') break;
      }
      assert.equal(consumed, m[2].length, `bad labels in ${line}`);
    }
    const value = Number(m[3].replace(/^\+Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'));
    assert.ok(m[3] === 'NaN' || !Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

describe('metrics endpoint', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster();
    await cluster.sql(`
      CREATE TABLE public.readings (id int PRIMARY KEY, v double precision);
      INSERT INTO public.readings SELECT g, g / 3.0 FROM generate_series(1, 500) g;
    `);
  });
  after(() => cluster?.stop());

  test('MetricsListenWithoutHostOrPortIsRefusedWithExitTwo', async () => {
    const target = makeTempDir('pgs3-it-target-');
    for (const listen of [':9187', '9187', '127.0.0.1:notaport']) {
      const r = await runPgs3(fullLoadTask({ cluster, targetDir: target, taskId: 'it-metrics-bad' }),
        { env: cluster.pgs3Env(), args: ['--metrics-listen', listen], label: `metrics-bad-${listen}` });
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.stderr, new RegExp(`--metrics-listen ${listen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      assert.deepEqual(listFiles(target), []);
    }
  });

  test('BusyMetricsPortFailsTheRunBeforeAnythingIsWritten', async () => {
    const blocker = createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address();
      const target = makeTempDir('pgs3-it-target-');
      const r = await runPgs3(fullLoadTask({ cluster, targetDir: target, taskId: 'it-metrics-busy' }),
        { env: cluster.pgs3Env(), args: ['--metrics-listen', `127.0.0.1:${port}`], label: 'metrics-busy' });
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.stderr, new RegExp(`--metrics-listen 127\\.0\\.0\\.1:${port}: .*already in use`));
      assert.deepEqual(listFiles(target), []);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('MetricsAndHealthzAreServedWhileTheTaskRunsAndThePortIsReleasedAfter', async () => {
    const port = await freePort();
    const target = makeTempDir('pgs3-it-target-');
    const task = fullLoadTask({ cluster, targetDir: target, taskId: 'it-metrics' });
    const taskFile = join(makeTempDir('pgs3-it-task-'), 'task.json');
    writeFileSync(taskFile, JSON.stringify(task));

    // Hold the table: the full load's COPY waits until this transaction ends.
    const locker = await cluster.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.readings IN ACCESS EXCLUSIVE MODE');
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG') && !k.startsWith('AWS_')) env[k] = v;
    const child = spawn(pgs3Bin, ['run', taskFile, '--metrics-listen', `127.0.0.1:${port}`, '--log-format', 'json'],
      { env: { ...env, ...cluster.pgs3Env(), PGPASSFILE: '/nonexistent/pgs3-it-pgpass' },
        stdio: ['ignore', 'pipe', 'pipe'] });
    const err = [];
    child.stderr.on('data', (b) => err.push(b));
    child.stdout.on('data', () => {});
    const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120000);
    let committed = false;
    try {
      let health;
      const deadline = Date.now() + 60000;
      for (;;) {
        health = await httpGet(port, '/healthz');
        if (health.status === 200 || Date.now() > deadline || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(health.status, 200, `healthz: ${JSON.stringify(health)}\n${Buffer.concat(err)}`);
      assert.equal(health.body, 'ok\n');

      const m = await httpGet(port, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(m.body);
      assert.ok(samples.length > 0, m.body);
      const info = samples.find((s) => s.name === 'pgs3_info');
      assert.ok(info, m.body);
      assert.equal(info.labels.task_id, 'it-metrics');
      assert.equal(info.value, 1);
      assert.equal((await httpGet(port, '/nope')).status, 404);

      await locker.query('COMMIT');
      committed = true;
      const code = await exited;
      const stderr = Buffer.concat(err).toString('utf8');
      writeFileSync(join(outputLogDir, `${process.pid}-metrics-run.log`), stderr);
      assert.ok(!knownPasswords().some((pw) => stderr.includes(pw)), 'pgs3 printed a password');
      assert.equal(code, 0, stderr);
      assert.deepEqual(listFiles(target), ['it/_pgs3/it-metrics/lease.json', 'it/public/readings/LOAD00000001.csv']);
      // The server stopped with the task.
      assert.ok((await httpGet(port, '/healthz')).error, 'the metrics port is still served after the task ended');
    } finally {
      clearTimeout(killer);
      if (!committed) await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });

  test('CdcMetricsCountTheWorkDone', { timeout: 120000 }, async () => {
    await cluster.sql(`CREATE TABLE public.events (id int PRIMARY KEY, kind text);
                       CREATE TABLE public.quiet (id int PRIMARY KEY);`);
    const port = await freePort();
    const target = makeTempDir('pgs3-it-target-');
    const task = cdcTask({ cluster, targetDir: target, taskId: 'it-metrics-cdc', migrationType: 'cdc',
      rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'events',
        'object-locator': { 'schema-name': 'public', 'table-name': 'events' }, 'rule-action': 'include' },
      { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'quiet',
        'object-locator': { 'schema-name': 'public', 'table-name': 'quiet' }, 'rule-action': 'include' }] });
    // pgs3 inherits an unlimited soft core limit from this process, and must lower it itself (checked below).
    const raised = spawnSync('prlimit', ['--pid', String(process.pid), '--core=unlimited:'], { encoding: 'utf8' });
    assert.equal(raised.status, 0, `prlimit: ${raised.stderr}`);
    const h = startPgs3(task, { env: cluster.pgs3Env(), args: ['--metrics-listen', `127.0.0.1:${port}`],
      label: 'metrics-cdc', timeoutMs: 100000 });
    try {
      const scrape = async () => {
        const m = await httpGet(port, '/metrics');
        return m.status === 200 ? parseExposition(m.body) : [];
      };
      const value = (samples, name, labels = {}) => samples.filter((s) => s.name === name &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
      await waitFor(async () => h.finished() || value(await scrape(), 'pgs3_phase') === 2,
        { timeoutMs: 60000, what: 'pgs3_phase 2 (streaming)' });
      assert.ok(!h.finished(), 'pgs3 ended before streaming');
      // The process holds passwords and AWS keys: it writes no core dump (soft core limit 0; PR_SET_DUMPABLE 0 too).
      const limits = readFileSync(`/proc/${await h.pid()}/limits`, 'utf8');
      spawnSync('prlimit', ['--pid', String(process.pid), '--core=0:']);
      assert.match(limits, /^Max core file size\s+0\s/m, limits);

      // 300 inserts in 3 transactions, 40 updates, 25 deletes: 5 transactions.
      for (let t = 0; t < 3; t++) {
        await cluster.sql(`INSERT INTO public.events SELECT g, 'k' || g FROM generate_series(${t * 100 + 1}, ${t * 100 + 100}) g`);
      }
      await cluster.sql("UPDATE public.events SET kind = 'u' WHERE id <= 40");
      await cluster.sql('DELETE FROM public.events WHERE id > 275');
      const events = { schema: 'public', table: 'events' };
      const samples = await waitFor(async () => {
        const s = await scrape();
        return value(s, 'pgs3_rows_written_total', { ...events, kind: 'cdc' }) >= 365 ? s : null;
      }, { timeoutMs: 30000, what: '365 change rows written' });
      assert.equal(value(samples, 'pgs3_changes_total', { ...events, op: 'insert' }), 300);
      assert.equal(value(samples, 'pgs3_changes_total', { ...events, op: 'update' }), 40);
      assert.equal(value(samples, 'pgs3_changes_total', { ...events, op: 'delete' }), 25);
      assert.equal(value(samples, 'pgs3_rows_written_total', { ...events, kind: 'cdc' }), 365);
      assert.equal(value(samples, 'pgs3_changes_total', { schema: 'public', table: 'quiet' }), 0);
      assert.equal(value(samples, 'pgs3_transactions_total'), 5);
      const files = listFiles(target).filter((f) => /^it\/public\/events\/\d{8}-\d{9}\.csv$/.test(f));
      assert.equal(value(samples, 'pgs3_files_written_total', { ...events, kind: 'cdc' }), files.length);
      assert.ok(value(samples, 'pgs3_bytes_written_total', { ...events, kind: 'cdc' }) > 0);
      assert.equal(value(samples, 'pgs3_phase'), 2);
      assert.equal((await httpGet(port, '/healthz')).status, 200);

      // The confirmed LSN advances to the slot: checkpoints are saved and confirmed.
      await waitFor(async () => {
        const s = await scrape();
        const [slot] = await cluster.sql(`SELECT (confirmed_flush_lsn - '0/0')::text AS b FROM pg_replication_slots
                                           WHERE slot_name = $1`, [defaultSlotName('it-metrics-cdc')]);
        return value(s, 'pgs3_checkpoints_total') >= 1 && slot &&
          Number(slot.b) === value(s, 'pgs3_confirmed_lsn_bytes');
      }, { timeoutMs: 30000, what: 'the slot confirmed at pgs3_confirmed_lsn_bytes' });
      await h.signal('SIGTERM');
      const run = await endWithin(h, 15000, 'SIGTERM');
      assert.equal(run.code, 0, describeRun(run));
    } finally {
      await h.signal('SIGKILL').catch(() => {});
      await h.done.catch(() => {});
      await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active`);
    }
  });
});
