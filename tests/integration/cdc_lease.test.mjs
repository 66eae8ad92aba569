// Two processes on one task (issue 11, item 2; DESIGN.md §3 invariant 7, state/task_lease.h): a full-load-and-cdc
// task writes to the S3 test server (which enforces If-Match / If-None-Match) during the random workload.
//   1. A second `pgs3 run` of the task while the first streams refuses at once: exit 2, naming the holder's host and
//      PID, and writes nothing.
//   2. The holder is stopped (SIGSTOP) past its lease; a third run takes the lease over and streams.
//   3. The stopped holder is resumed (SIGCONT): it must stop (exit 2) without a single successful write to the
//      bucket from then on — told apart from its successor's by its own S3 credentials.
// The successor then runs to a stop position planned ahead, and every table rebuilt from the bucket must equal the
// source, with no change written twice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import {
  assertRunning, cdcTask, createWorkloadTables, endWithin, makeTempDir, planStop, reachStop, sleep, startPgs3, testSeed,
  verifyWorkloadInBucket, waitFor, Workload, workloadRules,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun } from './harness/pgs3.mjs';
import { awsEnv, newCredentials, s3api } from './harness/s3.mjs';
import { startS3Server } from '../tools/s3-server/server.mjs';

const LEASE_SECONDS = 6;
const REGION = 'eu-west-1';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  // A stopped pgs3's walsender holds the slot until wal_sender_timeout; DMS's minimum keeps the test short.
  await cluster.sql("ALTER SYSTEM SET wal_sender_timeout = '10s'");
  await cluster.sql('SELECT pg_reload_conf()');
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

// The bucket's object `key` as JSON, or null.
async function readObject(s3, key) {
  const file = `${makeTempDir('pgs3-it-lease-')}/object.json`;
  try {
    await s3api(s3, ['get-object', '--bucket', 'lake', '--key', key, file]);
  } catch {
    return null;
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

// Requests of `accessKeyId` that changed the bucket (a write that S3 accepted), from request log index `from` on.
function acceptedWrites(server, accessKeyId, from) {
  return server.requestLog.slice(from).filter((e) => e.accessKeyId === accessKeyId &&
    ['PUT', 'POST', 'DELETE'].includes(e.method) && e.status >= 200 && e.status < 300);
}

test('SecondRunIsRefusedAndAStalledHolderIsFencedByItsSuccessor', { timeout: 300000 }, async () => {
  const schema = 'cdc_lease';
  const taskId = 'cdc-lease';
  const label = 'cdc-lease';
  const seed = testSeed(label);
  // Two accounts on one bucket: the first run and its successor are told apart in the request log.
  const first = newCredentials();
  const second = newCredentials();
  const server = await startS3Server({ port: 0, region: REGION, credentials: [first, second],
    buckets: [{ name: 'lake' }], dataDir: makeTempDir('pgs3-it-s3-') });
  servers.push(server);
  const s3 = { server, endpoint: server.endpoint, region: REGION, env: awsEnv(first, REGION) };

  const ids = await createWorkloadTables(cluster, { schema, orders: 5000, docs: 200, kinds: 1000 });
  const stop = await planStop(cluster);
  const s3Settings = { DataFormat: 'parquet', CdcMaxBatchInterval: 1 };
  const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: workloadRules(schema), s3Settings });
  task.target = { type: 's3', endpointUrl: server.endpoint, region: REGION, leaseSeconds: LEASE_SECONDS,
    s3Settings: { BucketName: 'lake', BucketFolder: 'it', ...s3Settings } };
  const stateKey = (name) => `it/_pgs3/${taskId}/${name}`;
  const start = (creds, n) => startPgs3(task, { env: { ...cluster.pgs3Env(), ...awsEnv(creds, REGION) },
    args: ['--cdc-stop-position', stop], timeoutMs: 240000, label: `${label}-${n}` });
  const workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop, workers: 1, pauseMs: 10 }).start();
  const handles = [];
  let holderPid = null;
  try {
    const holder = start(first, 'holder');
    handles.push(holder);
    holderPid = await holder.pid();
    await waitFor(async () => holder.finished() || (await readObject(s3, stateKey('checkpoint.json')))?.phase === 'cdc',
      { timeoutMs: 90000, intervalMs: 500, what: 'the holder to finish its full load' });
    await assertRunning(holder, 'the holder ended during its full load');
    const leaseBefore = await readObject(s3, stateKey('lease.json'));
    assert.equal(leaseBefore.holder.pid, holderPid, 'the lease names the holder');

    // 1. A second run while the holder streams: refused at once, nothing written.
    const logMark = server.requestLog.length;
    const refused = await endWithin(start(second, 'refused'), 30000, 'the second run');
    assert.equal(refused.code, 2, `the second run was not refused with exit 2: ${describeRun(refused)}`);
    assert.match(refused.stderr, new RegExp(`another pgs3 runs this task: host [^,]+, PID ${holderPid}, since`),
      describeRun(refused));
    assert.deepEqual(acceptedWrites(server, second.accessKeyId, logMark), [], 'the refused run wrote to the bucket');
    await assertRunning(holder, 'the holder ended while the second run was refused');

    // 2. The holder stalls past its lease; a successor takes over.
    await sleep(1500);
    process.stderr.write(`# ${label}: SIGSTOP to the holder (pid ${holderPid})\n`);
    await holder.signal('SIGSTOP');
    await sleep((LEASE_SECONDS + 2) * 1000);
    const successor = start(second, 'successor');
    handles.push(successor);
    await waitFor(async () => successor.finished() ||
      (await readObject(s3, stateKey('lease.json')))?.holder?.pid === await successor.pid(),
    { timeoutMs: 30000, intervalMs: 500, what: 'the successor to take the lease over' });
    await assertRunning(successor, 'the successor ended');
    const leaseAfter = await readObject(s3, stateKey('lease.json'));
    assert.ok(leaseAfter.generation > leaseBefore.generation, 'the successor has a newer generation');
    await waitFor(async () => successor.finished() ||
      (await readObject(s3, stateKey('checkpoint.json')))?.lease_generation === leaseAfter.generation,
    { timeoutMs: 60000, intervalMs: 500, what: 'the successor to claim the checkpoint' });
    await sleep(2000);

    // 3. The stalled holder wakes: it must stop without one accepted write.
    const wakeMark = server.requestLog.length;
    process.stderr.write(`# ${label}: SIGCONT to the holder\n`);
    await holder.signal('SIGCONT');
    const stale = await endWithin(holder, 60000, 'the stale holder after SIGCONT');
    assert.equal(stale.code, 2, `the stale holder did not stop with exit 2: ${describeRun(stale)}`);
    assert.match(stale.stderr, /took over the task's lease/, describeRun(stale));
    assert.deepEqual(acceptedWrites(server, first.accessKeyId, wakeMark).map((e) => `${e.method} ${e.key}`), [],
      'the stale holder changed the bucket after its lease was taken over');
    await assertRunning(successor, 'the successor ended');

    const stats = await workload.stop();
    process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}, refusals ` +
      `${server.conditionalRefusals.length}\n`);
    await reachStop(cluster, stop, schema);
    const run = await endWithin(successor, 120000, `the successor's run to the stop position ${stop}`);
    assert.equal(run.code, 0, describeRun(run));

    await verifyWorkloadInBucket(s3, { cluster, settings: s3Settings, schema, label: `${label} (seed ${seed})` });
    assert.equal((await readObject(s3, stateKey('lease.json'))).released, true, 'a clean stop releases the lease');
  } finally {
    await workload.stop().catch(() => {});
    for (const h of handles) {
      await h.signal('SIGCONT').catch(() => {});
      await h.signal('SIGKILL').catch(() => {});
      await h.done.catch(() => {});
    }
  }
});
