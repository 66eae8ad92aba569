// Runs last (tests/integration/run.sh): searches everything pgs3 printed in every test of this run — each run's
// stdout and stderr is recorded in $PGS3_IT_RUN_DIR/pgs3-output — for every secret the run used (the clusters'
// passwords, wrong passwords tests tried, AWS secret keys and session tokens). It first makes pgs3 print a little
// itself (a successful run and a failed login), so that it also means something when run alone; and it runs a CDC
// task into the S3 test server with session credentials — from the environment and from a shared credentials file
// profile, at debug level, with forced S3 errors — and searches its output, `pgs3 status` and `preflight --json`,
// and every object it wrote (files, metadata, checkpoint, journal) for the AWS secrets.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cdcTask, dropSlotIfInactive, endWithin, startPgs3, waitFor } from './harness/cdc.mjs';
import { knownPasswords, rememberSecret, startCluster } from './harness/cluster.mjs';
import { outputLogDir } from './harness/env.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, listFiles, makeTempDir, runPgs3, runPgs3Command, selectionRule,
  writeTaskFile,
} from './harness/pgs3.mjs';
import { awsEnv, downloadAll, listKeys, newCredentials } from './harness/s3.mjs';
import { startS3Server } from '../tools/s3-server/server.mjs';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql('CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1);');
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

// A session token as STS hands them out (long, base64), registered with the leak check.
function newSessionToken() {
  const token = 'FwoGZXIvYXdzE' + randomBytes(120).toString('base64').replace(/[+/=]/g, 'z');
  rememberSecret(token);
  return token;
}

// The secrets of `creds` found in `text`, by name.
function secretsIn(text, creds) {
  const found = [];
  for (const c of creds) {
    if (text.includes(c.secretAccessKey)) found.push(`the secret key of ${c.accessKeyId}`);
    if (c.sessionToken && text.includes(c.sessionToken)) found.push(`the session token of ${c.accessKeyId}`);
  }
  return found;
}

test('NoAwsSecretOrSessionTokenAppearsInOutputErrorsStatusOrTheTarget', { timeout: 180000 }, async () => {
  const region = 'eu-west-1';
  const envCreds = { ...newCredentials(), sessionToken: newSessionToken() };
  const fileCreds = { ...newCredentials(), sessionToken: newSessionToken() };
  const creds = [envCreds, fileCreds];
  const server = await startS3Server({ port: 0, region, credentials: creds, buckets: [{ name: 'lake' }],
    dataDir: makeTempDir('pgs3-it-s3-') });
  servers.push(server);
  const s3 = { server, region, endpoint: server.endpoint, env: awsEnv(envCreds, region) };
  // The same identity's secrets in a shared credentials file, under a profile, and no AWS_* keys in the environment.
  const home = makeTempDir('pgs3-it-home-');
  const credentialsFile = join(home, 'credentials');
  writeFileSync(credentialsFile, `[leak]\naws_access_key_id = ${fileCreds.accessKeyId}\n` +
    `aws_secret_access_key = ${fileCreds.secretAccessKey}\naws_session_token = ${fileCreds.sessionToken}\n`,
  { mode: 0o600 });
  const profileEnv = { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(home, 'config'),
    AWS_PROFILE: 'leak', AWS_EC2_METADATA_DISABLED: 'true', HOME: home };

  await cluster.sql('CREATE TABLE public.leak (id int PRIMARY KEY, note text); INSERT INTO public.leak VALUES (1, \'a\');');
  const taskId = 'leak-s3';
  const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: [selectionRule('public', 'leak')],
    s3Settings: { DataFormat: 'parquet' } });
  task.target = { type: 's3', endpointUrl: s3.endpoint, region,
    s3Settings: { BucketName: 'lake', BucketFolder: 'leak', DataFormat: 'parquet', CdcMaxBatchInterval: 1 } };
  const env = { ...cluster.pgs3Env(), ...s3.env };
  const debug = ['--log-level', 'debug'];
  const outputs = [];
  const record = (label, r) => {
    outputs.push({ label, text: `${r.stdout}\n${r.stderr}` });
    return r;
  };

  try {
    // A CDC run at debug level: full load, checkpoint, a change file; the process writes no core dump meanwhile.
    const h = startPgs3(task, { env, args: debug, label: 'leak-aws-cdc', timeoutMs: 120000 });
    const state = `leak/_pgs3/${taskId}/checkpoint.json`;
    await waitFor(async () => (await listKeys(s3, 'lake', state)).length > 0 && !h.finished(),
      { timeoutMs: 60000, what: 'the CDC task\'s checkpoint' });
    const pid = await h.pid();
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const core = /^Max core file size\s+(\S+)/m.exec(limits);
    assert.ok(core, limits);
    assert.equal(core[1], '0', `pgs3's soft core limit must be 0:\n${limits}`);
    await cluster.sql('INSERT INTO public.leak VALUES (2, \'b\')');
    await waitFor(async () => (await listKeys(s3, 'lake', 'leak/public/leak/')).some((k) => !/LOAD/.test(k.key)),
      { timeoutMs: 30000, what: 'a change file' });
    await h.signal('SIGTERM');
    const run = record('cdc run', await endWithin(h, 30000, 'SIGTERM'));
    assert.equal(run.code, 0, describeRun(run));

    const taskFile = writeTaskFile(task);
    for (const [label, args, e] of [
      ['status (environment keys)', ['status', taskFile, '--json'], env],
      ['preflight (environment keys)', ['preflight', taskFile, '--json'], env],
      ['status (profile)', ['status', taskFile, '--json'], { ...cluster.pgs3Env(), ...profileEnv }],
      ['preflight (profile)', ['preflight', taskFile, '--json'], { ...cluster.pgs3Env(), ...profileEnv }],
    ]) {
      const r = record(label, await runPgs3Command([...args, ...debug], { env: e, label: `leak-aws-${label}` }));
      assert.equal(r.code, 0, `${label}: ${describeRun(r)}`);
    }
    // A full load with the profile's credentials.
    const load = { ...task, taskId: 'leak-s3-profile', migrationType: 'full-load',
      target: { ...task.target, s3Settings: { ...task.target.s3Settings, BucketFolder: 'leak-profile' } } };
    const loaded = record('profile load', await runPgs3(load, { env: { ...cluster.pgs3Env(), ...profileEnv },
      args: debug, label: 'leak-aws-profile-load' }));
    assert.equal(loaded.code, 0, describeRun(loaded));

    // S3 refusing: a bucket that does not exist, a wrong secret with the right token, a denied PutObject.
    const wrongSecret = newCredentials().secretAccessKey;
    const failing = [
      ['no such bucket', { ...load, target: { ...load.target, s3Settings: { ...load.target.s3Settings,
        BucketName: 'no-such-bucket' } } }, env, /does not exist/],
      ['wrong secret', load, { ...env, AWS_SECRET_ACCESS_KEY: wrongSecret }, /SignatureDoesNotMatch/],
      ['access denied', load, env, /access denied/],
    ];
    for (const [label, t, e, expected] of failing) {
      if (label === 'access denied') server.setDenyActions(['s3:PutObject']);
      const r = record(label, await runPgs3(t, { env: e, args: debug, label: `leak-aws-${label}` }));
      server.setDenyActions([]);
      assert.notEqual(r.code, 0, `${label}: ${describeRun(r)}`);
      assert.match(r.stderr, expected, `${label}: ${describeRun(r)}`);
    }

    const leaks = [];
    for (const { label, text } of outputs) {
      for (const what of secretsIn(text, [...creds, { accessKeyId: 'wrong', secretAccessKey: wrongSecret }])) {
        leaks.push(`${what} in the output of ${label}`);
      }
    }
    // Every object pgs3 wrote: LOAD and change files, their metadata, the checkpoint and the journal.
    const dir = makeTempDir('pgs3-it-leak-bucket-');
    const keys = await downloadAll(s3, 'lake', dir);
    assert.ok(keys.some((k) => k.endsWith('checkpoint.json')), `no checkpoint among ${keys.join(', ')}`);
    for (const f of listFiles(dir)) {
      for (const what of secretsIn(readFileSync(join(dir, f)).toString('latin1'), creds)) leaks.push(`${what} in ${f}`);
    }
    for (const key of keys) {
      const meta = JSON.stringify(await server.headObjectMeta('lake', key));
      for (const what of secretsIn(meta, creds)) leaks.push(`${what} in the metadata of ${key}`);
    }
    assert.deepEqual(leaks, []);
  } finally {
    await dropSlotIfInactive(cluster, taskId);
  }
});

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
