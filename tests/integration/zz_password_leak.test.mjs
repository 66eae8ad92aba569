// Runs last (tests/integration/run.sh): searches everything pgs3 printed in every test of this run — each run's
// stdout and stderr is recorded in $PGS3_IT_RUN_DIR/pgs3-output — for every password the run used (the clusters'
// passwords, and wrong passwords tests tried). It first makes pgs3 print a little itself (a successful run and a
// failed login), so that it also means something when run alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { knownPasswords, startCluster } from './harness/cluster.mjs';
import { outputLogDir } from './harness/env.mjs';
import { assertPgs3Works, fullLoadTask, makeTempDir, runPgs3, selectionRule } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql('CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1);');
});
after(() => cluster?.stop());

test('NoPasswordAppearsInAnythingPgs3Printed', async () => {
  const task = fullLoadTask({ cluster, targetDir: makeTempDir('pgs3-it-target-'), s3Settings: { DataFormat: 'parquet' },
    rules: [selectionRule('public', 't')] });
  const ok = await runPgs3(task, { env: cluster.pgs3Env(), label: 'leak-check-success', args: ['--log-level', 'debug'] })
    .catch((e) => e);
  assert.ok(!(ok instanceof Error), String(ok));
  // A failed login with the reader's password sent for the superuser: libpq's error must not echo it.
  const bad = await runPgs3(task, { env: { PGPASSWORD: cluster.readerPassword }, label: 'leak-check-failure',
    args: ['--log-level', 'debug'] }).catch((e) => e);
  assert.ok(!(bad instanceof Error), String(bad));

  const passwords = knownPasswords();
  assert.ok(passwords.length >= 2, 'no passwords recorded');
  const logs = readdirSync(outputLogDir);
  assert.ok(logs.length >= 2, `no pgs3 output recorded in ${outputLogDir}`);
  const leaks = [];
  for (const name of logs) {
    const text = readFileSync(join(outputLogDir, name), 'utf8');
    for (const pw of passwords) if (text.includes(pw)) leaks.push(name);
  }
  assert.deepEqual(leaks, [], `pgs3 printed a password in: ${leaks.join(', ')}`);
});
