// A machine whose clock is off by more than S3's 15 minutes (issue 11, item 12): S3 refuses every request with
// 403 RequestTimeTooSkewed, and retrying with the same clock fails the same way. The S3 test server is started with
// its clock an hour ahead (and then 20 minutes behind) of this machine's; pgs3 must learn the offset from the
// refusal's Date header, sign with the server's time, log the offset once, and load the table.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun, runPgs3, selectionRule } from './harness/pgs3.mjs';
import { listKeys, s3Task, startS3 } from './harness/s3.mjs';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql("CREATE TABLE public.skew (id int PRIMARY KEY, note text); " +
    "INSERT INTO public.skew SELECT g, 'row ' || g FROM generate_series(1, 500) g;");
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

for (const [name, offsetMs, shown] of [['AnHourAhead', 3600000, /\+(3599|3600)\.\d s/], ['TwentyMinutesBehind', -1200000, /-(1200|1199)\.\d s/]]) {
  test(`FullLoadSucceedsAgainstAnS3WhoseClockIs${name}`, { timeout: 120000 }, async () => {
    const s3 = await startS3({ clockOffsetMs: offsetMs });
    servers.push(s3.server);
    const task = s3Task({ cluster, s3, taskId: `skew-${offsetMs}`, rules: [selectionRule('public', 'skew')],
      s3Settings: { DataFormat: 'parquet' } });
    const run = await runPgs3(task, { env: { ...cluster.pgs3Env(), ...s3.env }, args: ['--log-format', 'json'],
      label: `skew-${name}` });
    assert.equal(run.code, 0, describeRun(run));
    const told = run.logs.filter((l) => /clock is off \(RequestTimeTooSkewed\)/.test(l.msg ?? ''));
    assert.equal(told.length, 1, `the offset is logged once: ${describeRun(run)}`);
    assert.equal(told[0].level, 'warn');
    assert.match(told[0].msg, shown);
    assert.match(told[0].msg, /Fix the machine's clock/);
    // Refused once or twice (a HEAD's refusal has no code), until the offset was known; then always accepted.
    const skewed = s3.server.requestLog.filter((e) => e.code === 'RequestTimeTooSkewed');
    assert.ok(skewed.length >= 1 && skewed.length <= 2, `refusals: ${skewed.length}`);
    s3.server.setClockOffset(0);  // for the AWS CLI, which signs with this machine's clock
    const keys = (await listKeys(s3, 'lake', 'it/public/skew/')).map((k) => k.key);
    assert.deepEqual(keys, ['it/public/skew/LOAD00000001.parquet']);
  });
}
