// CDC into the S3 test server (issue 3 with issue 4's target): the random workload of cdc_workload.test.mjs runs
// during and after the full load of a full-load-and-cdc task writing to S3 through a fault-injecting proxy (503s and
// connection resets); pgs3 is killed with SIGKILL once while it streams and run again to a stop position. The
// bucket is then downloaded and every table rebuilt from its LOAD and change files must equal the source, with no
// change written twice and no multipart upload left open. The checkpoint and journal live in the bucket, so the
// rerun resumes from there alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  cdcTask, createWorkloadTables, endWithin, planStop, reachStop, rng, sleep, sleepUnless, startPgs3, stopEverything,
  testSeed, verifyWorkloadInBucket, Workload, workloadRules,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun } from './harness/pgs3.mjs';
import { startS3 } from './harness/s3.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

test('CdcIntoS3ThroughFaultsAndAKillRebuildsExactly', { timeout: 240000 }, async () => {
  const schema = 'cdc_s3';
  const taskId = 'cdc-s3';
  const label = 'cdc-s3';
  const seed = testSeed(label);
  const r = rng(seed);
  const s3 = await startS3();
  servers.push(s3.server);
  const proxy = await startFaultProxy({ target: s3.endpoint, seed, rate503: 0.05, rateReset: 0.03, rateStall: 0 });
  servers.push(proxy);

  const ids = await createWorkloadTables(cluster, { schema, orders: 20000, docs: 300, kinds: 2000 });
  const stop = await planStop(cluster);
  const s3Settings = { DataFormat: 'parquet', CdcMaxBatchInterval: 1 };
  const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: workloadRules(schema), s3Settings });
  task.target = { type: 's3', endpointUrl: proxy.endpoint, region: s3.region,
    s3Settings: { BucketName: 'lake', BucketFolder: 'it', ...s3Settings } };
  const env = { ...cluster.pgs3Env(), ...s3.env };
  const workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop, workers: 1, pauseMs: 10 }).start();
  const handles = [];
  const start = (n) => {
    const h = startPgs3(task, { env, args: ['--cdc-stop-position', stop], timeoutMs: 180000, label: `${label}-${n}` });
    handles.push(h);
    return h;
  };
  try {
    let h = start(1);
    // The full load of ~22,000 rows takes a few seconds; then pgs3 streams for a while before it is killed.
    await sleepUnless(() => h.finished(), 8000 + r.int(0, 3000));
    if (h.finished()) assert.fail(`pgs3 ended early: ${describeRun(await h.done)}`);
    process.stderr.write(`# ${label}: killing pgs3 (pid ${await h.pid()})\n`);
    await h.signal('SIGKILL');
    await endWithin(h, 10000, 'SIGKILL');
    await sleep(r.int(200, 1000));
    h = start(2);
    await sleepUnless(() => h.finished(), 3000);
    const stats = await workload.stop();
    process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}, proxy ${JSON.stringify(proxy.counts)}\n`);
    await reachStop(cluster, stop, schema);
    const run = await endWithin(h, 120000, `the run to the stop position ${stop}`);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(proxy.counts.rate503 + proxy.counts.reset > 0, `faults injected: ${JSON.stringify(proxy.counts)}`);

    await verifyWorkloadInBucket(s3, { cluster, settings: s3Settings, schema, label: `${label} (seed ${seed})` });
  } finally {
    await stopEverything(workload, handles);
  }
});
