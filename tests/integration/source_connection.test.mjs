// How pgs3 connects to the source (issue 11, items 11 and 12): every run says once at start which sslmode and which
// connect/keepalive/TCP timeouts its connections use, where each came from (pgs3's default, the connection string,
// libpq's environment variables), and warns when the server's certificate is not verified — as it is not for the
// loopback test cluster, which offers no TLS. The derivation itself (require for a remote host, verify-full with a
// CA) is unit-tested in tests/unit/pg/connection_defaults_test.cc, the sockets' options in live_postgres_test.cc.
// A full-load-and-cdc task whose replication connection is cut while its full load runs must start streaming on a
// new connection, as later reconnects do, instead of exiting.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { cdcTask, dropSlotIfInactive, endWithin, startPgs3, waitFor } from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, makeTempDir, runPgs3, runPgs3Command, selectionRule, writeTaskFile,
} from './harness/pgs3.mjs';
import { listKeys, startS3 } from './harness/s3.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql('CREATE TABLE public.conn_t (id int PRIMARY KEY, note text); ' +
    "INSERT INTO public.conn_t SELECT g, 'row ' || g FROM generate_series(1, 100) g;");
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

const connectionLines = (r) => r.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('PostgreSQL connection ('));
const unverifiedWarnings = (r) => r.logs.filter((l) => l.level === 'warn' && /certificate is not verified/.test(l.msg ?? ''));

test('RunLogsTheEffectiveSslmodeAndTimeoutsOnceAndWarnsTheCertificateIsNotVerified', async () => {
  const task = fullLoadTask({ cluster, targetDir: makeTempDir('pgs3-it-conn-'), rules: [selectionRule('public', 'conn_t')] });
  // No PGCONNECT_TIMEOUT (the harness sets one otherwise): every value is pgs3's.
  const run = await runPgs3(task, { env: { ...cluster.pgs3Env(), PGCONNECT_TIMEOUT: '' }, args: ['--log-format', 'json'] });
  assert.equal(run.code, 0, describeRun(run));
  const lines = connectionLines(run);
  assert.equal(lines.length, 1, `one connection line:\n${describeRun(run)}`);
  assert.match(lines[0].msg, new RegExp(`^PostgreSQL connection \\(host 127\\.0\\.0\\.1 port ${cluster.port} user postgres ` +
    "database pgs3it\\): sslmode=prefer, no TLS, connect_timeout=10 \\(pgs3's default\\), keepalives=1 \\(pgs3's " +
    "default\\), keepalives_idle=30 \\(pgs3's default\\), keepalives_interval=10 \\(pgs3's default\\), " +
    "keepalives_count=3 \\(pgs3's default\\), tcp_user_timeout=60000 \\(pgs3's default\\)$"));
  const warnings = unverifiedWarnings(run);
  assert.equal(warnings.length, 1, describeRun(run));
  assert.match(warnings[0].msg, /sslmode=prefer, no TLS: the data travels in plaintext/);
  assert.match(warnings[0].msg, /fix: set sslmode=verify-full and sslrootcert=/);

  // The user's choices win, from the connection string and from libpq's environment variables alike.
  task.source.connection += ' keepalives_idle=20 tcp_user_timeout=15000';
  const own = await runPgs3(task, { env: { ...cluster.pgs3Env(), PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '4' },
    args: ['--log-format', 'json'] });
  assert.equal(own.code, 0, describeRun(own));
  const [line] = connectionLines(own);
  assert.match(line?.msg ?? '', /: sslmode=disable, no TLS, connect_timeout=4, keepalives=1 \(pgs3's default\), keepalives_idle=20, keepalives_interval=10 \(pgs3's default\), keepalives_count=3 \(pgs3's default\), tcp_user_timeout=15000$/, describeRun(own));
  assert.equal(unverifiedWarnings(own).length, 1, 'warned also when the user chose the sslmode');
});

test('PreflightReportsAnUnverifiedServerAsAWarning', async () => {
  const task = fullLoadTask({ cluster, targetDir: makeTempDir('pgs3-it-conn-'), rules: [selectionRule('public', 'conn_t')] });
  const r = await runPgs3Command(['preflight', writeTaskFile(task), '--json'], { env: cluster.pgs3Env() });
  assert.equal(r.code, 0, describeRun(r));
  const tls = JSON.parse(r.stdout).checks.find((c) => c.name === 'tls');
  assert.equal(tls?.status, 'warn', r.stdout);
  assert.match(tls.detail, /certificate is not verified \(sslmode=prefer, no TLS/);
  assert.match(tls.detail, /tcp_user_timeout=60000 \(pgs3's default\)/);
  assert.match(tls.fix, /sslmode=verify-full/);
});

test('FirstStartAfterTheFullLoadIsRetriedWhenTheReplicationConnectionWasCut', { timeout: 120000 }, async () => {
  const s3 = await startS3();
  servers.push(s3.server);
  // The LOAD file's upload is held 4 s: the full load is then surely past importing the slot's snapshot, and the
  // replication connection that exported it sits idle until the stream starts on it.
  const proxy = await startFaultProxy({ target: s3.endpoint, rateStall: 1, stallMs: 4000,
    match: (req) => req.method === 'PUT' && /LOAD0/.test(req.url) });
  servers.push(proxy);
  const taskId = 'conn-first-start';
  const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: [selectionRule('public', 'conn_t')] });
  task.target = { type: 's3', endpointUrl: proxy.endpoint, region: s3.region,
    s3Settings: { BucketName: 'lake', BucketFolder: 'first', DataFormat: 'parquet', CdcMaxBatchInterval: 1 } };
  let stderrSoFar = '';
  const h = startPgs3(task, { env: { ...cluster.pgs3Env(), ...s3.env }, args: ['--log-format', 'json'],
    timeoutMs: 90000, label: 'first-start', onStderr: (text) => { stderrSoFar = text; } });
  try {
    await waitFor(() => proxy.events.some((e) => e.fault === 'rateStall') || h.finished(),
      { timeoutMs: 30000, what: 'the LOAD upload' });
    if (h.finished()) assert.fail(describeRun(await h.done));
    const killed = await cluster.sql(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
                                       WHERE backend_type = 'walsender' AND application_name = 'pgs3'`);
    assert.equal(killed.length, 1, `the replication connection of the task: ${stderrSoFar}`);
    // Streaming must begin anyway: a change made now reaches a change file.
    await waitFor(async () => h.finished() || (await cluster.sql(`SELECT 1 FROM pg_stat_activity
        WHERE backend_type = 'walsender' AND application_name = 'pgs3' AND state = 'active'`)).length > 0,
    { timeoutMs: 30000, what: 'a new walsender streaming' });
    if (h.finished()) assert.fail(`pgs3 ended instead of retrying the start: ${describeRun(await h.done)}`);
    await cluster.sql("INSERT INTO public.conn_t VALUES (1001, 'after the cut')");
    await waitFor(async () => h.finished() ||
      (await listKeys(s3, 'lake', 'first/public/conn_t/')).some((k) => !/LOAD/.test(k.key)),
    { timeoutMs: 30000, what: 'a change file' });
    await h.signal('SIGTERM');
    const run = await endWithin(h, 30000, 'SIGTERM');
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(run.logs.some((l) => l.level === 'warn' && /cannot resume replication yet/.test(l.msg ?? '')),
      describeRun(run));
    assert.ok((await listKeys(s3, 'lake', 'first/public/conn_t/')).some((k) => !/LOAD/.test(k.key)),
      describeRun(run));
    // The CDC run's preflight warned once about the certificate; the connection line came once too.
    assert.equal(run.logs.filter((l) => /^preflight tls: .*certificate is not verified/.test(l.msg ?? '')).length, 1,
      describeRun(run));
    assert.equal(connectionLines(run).length, 1, describeRun(run));
  } finally {
    await h.signal('SIGKILL').catch(() => {});
    await h.done.catch(() => {});
    await dropSlotIfInactive(cluster, taskId);
  }
});
