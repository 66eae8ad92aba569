// The replication loop never waits on S3 (issue 12): uploads and checkpoint saves run on threads of their own, so a
// long S3 stall neither trips PostgreSQL's wal_sender_timeout nor loses or repeats a change, and a stop with an
// unreachable S3 ends within seconds (exit 1, nothing lost) instead of waiting out the retries.
//
// Both tests run the random workload of cdc_workload.test.mjs into the S3 test server behind the fault proxy, on a
// cluster with wal_sender_timeout = 10 s (DMS's minimum), and end with every table rebuilt from the bucket and
// compared with the source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  cdcTask, createWorkloadTables, defaultSlotName, endWithin, planStop, reachStop, sleep, startPgs3, stopEverything,
  testSeed, verifyWorkloadInBucket, waitFor, Workload, workloadRules,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun } from './harness/pgs3.mjs';
import { startS3 } from './harness/s3.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';

const WAL_SENDER_TIMEOUT_S = 10;
let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster({ conf: { wal_sender_timeout: `${WAL_SENDER_TIMEOUT_S}s` } });
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

// The PID of the walsender serving the task's slot, or null while none is.
async function walsenderPid(taskId) {
  const rows = await cluster.sql('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active',
    [defaultSlotName(taskId)]);
  return rows.length === 1 ? rows[0].active_pid : null;
}

function walsenderTimeouts() {
  const log = readFileSync(join(cluster.dir, 'postgres.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes('terminating walsender process due to replication timeout'));
}

// A full-load-and-cdc task of the workload tables of `schema` into the bucket through `proxy`.
function s3Task({ schema, taskId, proxy, s3, s3Settings }) {
  const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: workloadRules(schema), s3Settings });
  task.target = { type: 's3', endpointUrl: proxy.endpoint, region: s3.region,
    s3Settings: { BucketName: 'lake', BucketFolder: 'it', ...s3Settings } };
  return task;
}

async function startServers(seed, stallMs) {
  const s3 = await startS3();
  servers.push(s3.server);
  const proxy = await startFaultProxy({ target: s3.endpoint, seed, stallMs });
  servers.push(proxy);
  return { s3, proxy };
}

test('ASixtySecondS3StallTripsNoWalSenderTimeoutAndLosesNothing', { timeout: 420000 }, async () => {
  const schema = 'nb_stall';
  const taskId = 'nb-stall';
  const label = 'nb-stall';
  const seed = testSeed(label);
  const stallS = 60;
  // Every answer is held for longer than the stall lasts: pgs3's own stall timeout (30 s) abandons and retries.
  const { s3, proxy } = await startServers(seed, (stallS + 30) * 1000);
  const ids = await createWorkloadTables(cluster, { schema, orders: 5000, docs: 100, kinds: 500 });
  const stop = await planStop(cluster);
  const s3Settings = { DataFormat: 'parquet', CdcMaxBatchInterval: 1 };
  const task = s3Task({ schema, taskId, proxy, s3, s3Settings });
  const env = { ...cluster.pgs3Env(), ...s3.env };
  const workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop, workers: 1, pauseMs: 20 }).start();
  const h = startPgs3(task, { env, args: ['--cdc-stop-position', stop], timeoutMs: 400000, label });
  try {
    await waitFor(async () => h.finished() || (await walsenderPid(taskId)) !== null,
      { timeoutMs: 90000, what: `${label}: pgs3 to start streaming` });
    if (h.finished()) assert.fail(`pgs3 ended early: ${describeRun(await h.done)}`);
    await sleep(3000);
    const pid = await walsenderPid(taskId);
    process.stderr.write(`# ${label}: streaming (walsender ${pid}); S3 stalls for ${stallS} s from now\n`);
    proxy.setRates({ rateStall: 1 });
    const stallStarted = Date.now();
    const seen = new Set();
    while (Date.now() - stallStarted < stallS * 1000) {
      await sleep(2000);
      if (h.finished()) assert.fail(`pgs3 ended during the stall: ${describeRun(await h.done)}`);
      seen.add(await walsenderPid(taskId));
    }
    proxy.setRates({ rateStall: 0 });
    process.stderr.write(`# ${label}: S3 answers again; proxy ${JSON.stringify(proxy.counts)}\n`);
    assert.ok(proxy.counts.stall > 0, 'requests were stalled');
    assert.deepEqual([...seen], [pid], 'the walsender stayed the same process through the stall (no reconnect)');
    await sleep(5000);
    const stats = await workload.stop();
    process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}\n`);
    await reachStop(cluster, stop, schema);
    const run = await endWithin(h, 300000, `the run to the stop position ${stop}`);
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(walsenderTimeouts(), [], 'PostgreSQL terminated no walsender for a replication timeout');
    assert.ok(!run.stderr.includes('reconnecting'), `pgs3 did not reconnect: ${describeRun(run)}`);
    await verifyWorkloadInBucket(s3, { cluster, settings: s3Settings, schema, label: `${label} (seed ${seed})` });
  } finally {
    await stopEverything(workload, [h]);
  }
});

test('AStopWithS3UnreachableEndsWithinSecondsAndTheNextRunLosesNothing', { timeout: 300000 }, async () => {
  const schema = 'nb_stop';
  const taskId = 'nb-stop';
  const label = 'nb-stop';
  const seed = testSeed(label);
  const { s3, proxy } = await startServers(seed, 600000);
  const ids = await createWorkloadTables(cluster, { schema, orders: 3000, docs: 50, kinds: 300 });
  const s3Settings = { DataFormat: 'parquet', CdcMaxBatchInterval: 1 };
  const task = s3Task({ schema, taskId, proxy, s3, s3Settings });
  const env = { ...cluster.pgs3Env(), ...s3.env };
  const workload = new Workload(cluster, { seed, ids, schema, workers: 1, pauseMs: 20 }).start();
  const handles = [];
  try {
    let h = startPgs3(task, { env, timeoutMs: 200000, label: `${label}-1` });
    handles.push(h);
    await waitFor(async () => h.finished() || (await walsenderPid(taskId)) !== null,
      { timeoutMs: 90000, what: `${label}: pgs3 to start streaming` });
    if (h.finished()) assert.fail(`pgs3 ended early: ${describeRun(await h.done)}`);
    await sleep(3000);
    // S3 stops answering; the files closed from now on (every second) cannot be uploaded.
    proxy.setRates({ rateStall: 1 });
    await sleep(3000);
    const signalled = Date.now();
    await h.signal('SIGTERM');
    const run = await endWithin(h, 60000, 'the stop with S3 unreachable');
    const stopMs = Date.now() - signalled;
    process.stderr.write(`# ${label}: stop with S3 unreachable took ${stopMs} ms, exit ${run.code}\n`);
    assert.equal(run.code, 1, `a stop that could not make every file durable exits 1: ${describeRun(run)}`);
    assert.match(run.stderr, /stopped before every open file was durable: nothing is lost/);
    // The stop grace is 3 s, and a transfer that moves nothing is given up within 1 s after it: a bound on a hang
    // (30 s stall timeout, minutes of retries), with room for a loaded machine.
    assert.ok(stopMs < 15000, `the stop took ${stopMs} ms`);

    proxy.setRates({ rateStall: 0 });
    await sleep(1000);
    const stats = await workload.stop();
    process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}\n`);
    const stop = await planStop(cluster);
    await reachStop(cluster, stop, schema);
    h = startPgs3(task, { env, args: ['--cdc-stop-position', stop], timeoutMs: 200000, label: `${label}-2` });
    handles.push(h);
    const rerun = await endWithin(h, 180000, `the run to the stop position ${stop}`);
    assert.equal(rerun.code, 0, describeRun(rerun));
    await verifyWorkloadInBucket(s3, { cluster, settings: s3Settings, schema, label: `${label} (seed ${seed})` });
  } finally {
    await stopEverything(workload, handles);
  }
});
