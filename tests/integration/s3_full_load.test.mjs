// The S3 target end to end: full loads written to the project's S3 test server (s3rver that verifies SigV4 and
// behaves as S3 where pgs3 depends on it), read back with the AWS CLI, and compared byte for byte with the same task
// run against a local directory; multipart uploads, DMS's S3 settings (tags, SSE, ACL), target checks that stop a
// task before it writes anything, and a fault-injecting proxy (503s, resets, stalls) the task must survive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { describeRun, fullLoadTask, listFiles, makeTempDir, runPgs3, selectionRule } from './harness/pgs3.mjs';
import { downloadAll, listKeys, s3api, s3Task, startS3 } from './harness/s3.mjs';
import { verifyTable } from './harness/verify.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';

let cluster;
const servers = [];
before(async () => {
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA s3it;
    CREATE TABLE s3it.orders (id int PRIMARY KEY, customer text, amount numeric(12,2), at timestamptz, tags text[],
                              doc jsonb);
    INSERT INTO s3it.orders
      SELECT g, 'customer ' || (g % 97), g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
             ARRAY['a' || g, 'b'], jsonb_build_object('n', g)
        FROM generate_series(1, 5000) g;
    CREATE SCHEMA "Sales Data";
    CREATE TABLE "Sales Data"."Order Items+=%~*é" (id int PRIMARY KEY, qty int);
    INSERT INTO "Sales Data"."Order Items+=%~*é" SELECT g, g % 7 FROM generate_series(1, 300) g;
    -- About 14 MB of incompressible text: with no compression one LOAD file is uploaded in several parts.
    CREATE TABLE s3it.big (id int PRIMARY KEY, payload text);
    INSERT INTO s3it.big
      SELECT g, string_agg(md5(g::text || ':' || k::text), '' ORDER BY k) FROM generate_series(1, 14000) g,
             generate_series(1, 32) k GROUP BY g;
    CREATE TABLE s3it.small (id int PRIMARY KEY, v text);
    INSERT INTO s3it.small VALUES (1, 'one'), (2, 'two');
  `);
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

async function s3(options) {
  const s = await startS3(options);
  servers.push(s.server);
  return s;
}

async function run(task, s3env, label, opts = {}) {
  return runPgs3(task, { env: { ...cluster.pgs3Env(), ...s3env }, label, ...opts });
}

test('S3TargetWritesTheSameBytesAsTheLocalTarget', async () => {
  const t = await s3();
  const rules = [selectionRule('s3it', 'orders'), selectionRule('Sales Data', '%')];
  const s3Settings = { DataFormat: 'parquet', CompressionType: 'snappy' };
  const r = await run(s3Task({ cluster, s3: t, rules, s3Settings }), t.env, 's3-vs-local-s3');
  assert.equal(r.code, 0, describeRun(r));

  const localDir = makeTempDir('pgs3-it-local-');
  const l = await runPgs3(fullLoadTask({ cluster, targetDir: localDir, rules, s3Settings, taskId: 'it-s3' }),
    { env: cluster.pgs3Env(), label: 's3-vs-local-local' });
  assert.equal(l.code, 0, describeRun(l));

  const downloaded = makeTempDir('pgs3-it-dl-');
  const keys = (await downloadAll(t, 'lake', downloaded, 'it/')).filter((k) => !k.startsWith('it/_pgs3/'));
  const localFiles = listFiles(localDir).filter((k) => !k.startsWith('it/_pgs3/'));
  assert.deepEqual(keys.sort(), localFiles.sort(), 'the same object keys as the local files');
  // '%' is escaped in object keys (%25), the other characters of the name are kept as they are.
  assert.ok(keys.includes('it/Sales Data/Order Items+=%25~*é/LOAD00000001.parquet'), `keys: ${keys}`);
  for (const k of keys) {
    assert.ok(readFileSync(join(downloaded, k)).equals(readFileSync(join(localDir, k))), `${k}: bytes differ`);
  }
  // And what the AWS CLI downloaded is the source, as DuckDB and hyparquet read it.
  for (const [schema, table] of [['s3it', 'orders'], ['Sales Data', 'Order Items+=%~*é']]) {
    await verifyTable({ cluster, targetDir: downloaded, bucketFolder: 'it', schema, table, settings: s3Settings });
  }
  assert.deepEqual(await t.server.listOpenUploads('lake'), [], 'no multipart upload left open');
  // The task's state folder holds its lease (released by the clean stop), and no probe object of the target check.
  assert.deepEqual((await listKeys(t, 'lake', 'it/_pgs3/')).map((o) => o.key), ['it/_pgs3/it-s3/lease.json'],
    'the target check removed its probe object');
  const leaseFile = join(makeTempDir('pgs3-it-lease-'), 'lease.json');
  await s3api(t, ['get-object', '--bucket', 'lake', '--key', 'it/_pgs3/it-s3/lease.json', leaseFile]);
  assert.equal(JSON.parse(readFileSync(leaseFile, 'utf8')).released, true, 'the full load released its lease');
});

test('LargeFileIsUploadedInPartsAndNoUploadIsLeftOpen', async () => {
  const t = await s3();
  const s3Settings = { DataFormat: 'parquet', CompressionType: 'NONE', RowGroupLength: 2000 };
  const r = await run(s3Task({ cluster, s3: t, rules: [selectionRule('s3it', 'big')], s3Settings }), t.env,
    'multipart');
  assert.equal(r.code, 0, describeRun(r));
  const objects = await listKeys(t, 'lake', 'it/s3it/big/');
  assert.equal(objects.length, 1, JSON.stringify(objects));
  assert.ok(objects[0].size > 10 * 1024 * 1024, `expected a file above 10 MB, got ${objects[0].size}`);
  assert.match(objects[0].etag, /-\d+"?$/, 'a multipart ETag ("<md5>-<parts>")');
  assert.deepEqual(await t.server.listOpenUploads('lake'), []);
  const dir = makeTempDir('pgs3-it-dl-');
  await downloadAll(t, 'lake', dir, 'it/s3it/');
  await verifyTable({ cluster, targetDir: dir, bucketFolder: 'it', schema: 's3it', table: 'big', settings: s3Settings,
    readers: ['duckdb'] });
});

// The answer to the first CompleteMultipartUpload is lost after S3 completed the upload (the proxy resets the
// connection during the response): the retry is answered NoSuchUpload, and pgs3 recognises its object by size and
// multipart ETag instead of failing the task.
test('CompleteMultipartUploadWhoseAnswerIsLostIsRecognisedAndTheTaskGoesOn', async () => {
  const t = await s3();
  let completes = 0;
  const proxy = await startFaultProxy({ target: t.endpoint, seed: 3, rateReset: 1, resetWhere: 'response',
    match: (req) => req.method === 'POST' && /[?&]uploadId=/.test(req.url) && ++completes === 1 });
  servers.push(proxy);
  const s3Settings = { DataFormat: 'parquet', CompressionType: 'NONE', RowGroupLength: 2000 };
  const task = s3Task({ cluster, s3: { ...t, endpoint: proxy.endpoint }, rules: [selectionRule('s3it', 'big')],
    s3Settings });
  const r = await run(task, t.env, 'lost-complete');
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(proxy.counts.resetDuringResponse, 1, `one Complete answer lost: ${JSON.stringify(proxy.counts)}`);
  assert.ok(r.logs.some((l) => /completed by an earlier attempt whose answer was lost/.test(l.msg ?? l.raw ?? '')),
    `pgs3 says how it recognised the upload: ${describeRun(r)}`);
  assert.deepEqual(await t.server.listOpenUploads('lake'), []);
  const dir = makeTempDir('pgs3-it-dl-');
  await downloadAll(t, 'lake', dir, 'it/s3it/');
  await verifyTable({ cluster, targetDir: dir, bucketFolder: 'it', schema: 's3it', table: 'big', settings: s3Settings,
    readers: ['duckdb'] });
});

test('TagsEncryptionAndAclFollowTheDmsSettings', async () => {
  const t = await s3();
  const rules = [selectionRule('s3it', 'small'), selectionRule('s3it', 'orders'), {
    'rule-type': 'post-processing', 'rule-id': '90', 'rule-name': 'tag-all', 'rule-action': 'add-tag',
    'object-locator': { 'schema-name': 's3it', 'table-name': '%' },
    'tag-set': [{ key: 'source', value: '${schema-name}.${table-name}' }, { key: 'team', value: 'data eng' }],
  }, {
    'rule-type': 'post-processing', 'rule-id': '91', 'rule-name': 'tag-orders', 'rule-action': 'add-tag',
    'object-locator': { 'schema-name': 's3it', 'table-name': 'orders' },
    'tag-set': [{ key: 'pii', value: 'yes' }],
  }];
  const s3Settings = { DataFormat: 'csv', EncryptionMode: 'SSE_KMS',
    ServerSideEncryptionKmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    CannedAclForObjects: 'BUCKET_OWNER_FULL_CONTROL' };
  const r = await run(s3Task({ cluster, s3: t, rules, s3Settings }), t.env, 'tags-sse-acl');
  assert.equal(r.code, 0, describeRun(r));
  const tagsOf = async (key) => {
    const tagging = await s3api(t, ['get-object-tagging', '--bucket', 'lake', '--key', key]);
    return Object.fromEntries(tagging.TagSet.map((x) => [x.Key, x.Value]));
  };
  assert.deepEqual(await tagsOf('it/s3it/small/LOAD00000001.csv'), { source: 's3it.small', team: 'data eng' });
  // As in DMS, the rule whose locator matches best (exact beats wildcard) gives the whole tag set.
  assert.deepEqual(await tagsOf('it/s3it/orders/LOAD00000001.csv'), { pii: 'yes' });
  const head = await s3api(t, ['head-object', '--bucket', 'lake', '--key', 'it/s3it/small/LOAD00000001.csv']);
  assert.equal(head.ServerSideEncryption, 'aws:kms');
  assert.equal(head.SSEKMSKeyId, s3Settings.ServerSideEncryptionKmsKeyId);
  const meta = await t.server.headObjectMeta('lake', 'it/s3it/small/LOAD00000001.csv');
  assert.equal(meta.acl, 'bucket-owner-full-control', JSON.stringify(meta));
});

// Each broken target stops the task with exit code 2 before anything is written, with a message naming the fix.
test('BadTargetsStopTheTaskBeforeWritingAndNameTheFix', async () => {
  const t = await s3({ buckets: [{ name: 'lake', owner: '111122223333' }, { name: 'notags' }],
    denyActions: ['s3:PutObjectTagging'] });
  const rules = [selectionRule('s3it', 'small')];
  const expect2 = async (label, task, env, pattern) => {
    const r = await run(task, env, label);
    assert.equal(r.code, 2, `${label}: ${describeRun(r)}`);
    const messages = r.logs.map((l) => l.msg ?? l.raw).join('\n');
    assert.match(messages, pattern, `${label}: ${r.stderr}`);
    assert.deepEqual((await listKeys(t, 'lake')).concat(await listKeys(t, 'notags')), [], `${label}: wrote objects`);
    return r;
  };
  await expect2('wrong-secret', s3Task({ cluster, s3: t, rules }),
    { ...t.env, AWS_SECRET_ACCESS_KEY: 'wrong' + t.creds.secretAccessKey.slice(5) }, /SignatureDoesNotMatch.*credentials/);
  await expect2('wrong-region', { ...s3Task({ cluster, s3: t, rules }), target: { ...s3Task({ cluster, s3: t, rules }).target,
    region: 'us-west-2' } }, t.env, /in region eu-west-1, not us-west-2: set target\.region to "eu-west-1"/);
  await expect2('missing-bucket', s3Task({ cluster, s3: t, rules, bucket: 'no-such-bucket' }), t.env,
    /bucket "no-such-bucket" does not exist/);
  await expect2('owner-mismatch', s3Task({ cluster, s3: t, rules, s3Settings: { ExpectedBucketOwner: '999988887777' } }),
    t.env, /access denied.*ExpectedBucketOwner 999988887777/);
  const tagRule = { 'rule-type': 'post-processing', 'rule-id': '91', 'rule-name': 'tag', 'rule-action': 'add-tag',
    'object-locator': { 'schema-name': '%', 'table-name': '%' }, 'tag-set': [{ key: 'k', value: 'v' }] };
  await expect2('tagging-denied', s3Task({ cluster, s3: t, rules: [...rules, tagRule], bucket: 'notags' }), t.env,
    /s3:PutObjectTagging/);
  const badTag = { ...tagRule, 'tag-set': [{ key: 'table', value: '${table-name}' }] };
  await expect2('tag-limit', s3Task({ cluster, s3: t, rules: [selectionRule('Sales Data', '%'), badTag] }), t.env,
    /tag "table" contains '%'/);
  const noCreds = { ...t.env };
  delete noCreds.AWS_ACCESS_KEY_ID;
  delete noCreds.AWS_SECRET_ACCESS_KEY;
  await expect2('no-credentials', s3Task({ cluster, s3: t, rules }), noCreds, /AWS_ACCESS_KEY_ID/);
});

test('VersionedBucketGetsAWarningWithDmsAdvice', async () => {
  const t = await s3({ buckets: [{ name: 'lake', versioning: 'Enabled' }] });
  const r = await run(s3Task({ cluster, s3: t, rules: [selectionRule('s3it', 'small')] }), t.env, 'versioning');
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stderr, /versioning is enabled.*lifecycle rule/);
});

test('VirtualHostedAddressingWorksAsPathStyle', async () => {
  const t = await s3();
  const task = s3Task({ cluster, s3: { ...t, endpoint: t.endpoint.replace('127.0.0.1', 'localhost') },
    rules: [selectionRule('s3it', 'small')], target: { addressingStyle: 'virtual' } });
  const r = await run(task, t.env, 'virtual-hosted');
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual((await listKeys(t, 'lake', 'it/s3it/')).map((o) => o.key), ['it/s3it/small/LOAD00000001.csv']);
});

test('UploadLeftOpenByAKilledRunIsAbortedAtStart', async () => {
  const t = await s3();
  await s3api(t, ['create-multipart-upload', '--bucket', 'lake', '--key', 'it/s3it/small/LOAD00000001.csv']);
  assert.equal((await t.server.listOpenUploads('lake')).length, 1);
  const r = await run(s3Task({ cluster, s3: t, rules: [selectionRule('s3it', 'small')] }), t.env, 'stale-upload');
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(await t.server.listOpenUploads('lake'), []);
});

// Another writer of the bucket (another task with its own tables, another tool) may have uploads in flight under the
// same BucketFolder: only this task's leftovers are aborted.
test('UploadsOfOtherWritersUnderTheBucketFolderAreLeftOpen', async () => {
  const t = await s3();
  for (const key of ['it/s3it/small/LOAD00000001.csv', 'it/s3it/orders/LOAD00000001.csv', 'it/another-tool/x.bin']) {
    await s3api(t, ['create-multipart-upload', '--bucket', 'lake', '--key', key]);
  }
  const r = await run(s3Task({ cluster, s3: t, rules: [selectionRule('s3it', 'small')] }), t.env, 'foreign-uploads');
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual((await t.server.listOpenUploads('lake')).map((u) => u.key),
    ['it/another-tool/x.bin', 'it/s3it/orders/LOAD00000001.csv'], 'the task aborted only its own table\'s upload');
});

test('TaskCompletesThroughInjectedFaultsWithTheTargetEqualToTheSource', async () => {
  const t = await s3();
  const proxy = await startFaultProxy({ target: t.endpoint, seed: 7, rate503: 0.15, rateReset: 0.08, rateStall: 0.05,
    stallMs: 4000 });
  servers.push(proxy);
  const s3Settings = { DataFormat: 'parquet', CompressionType: 'NONE', MaxFileSize: 4096, RowGroupLength: 1000 };
  const rules = [selectionRule('s3it', 'orders'), selectionRule('s3it', 'big'), selectionRule('Sales Data', '%')];
  const task = s3Task({ cluster, s3: { ...t, endpoint: proxy.endpoint }, rules, s3Settings,
    target: { stallTimeoutSeconds: 1 } });
  const r = await run(task, t.env, 'faults', { timeoutMs: 240000 });
  assert.equal(r.code, 0, describeRun(r));
  const c = proxy.counts;
  assert.ok(c.rate503 > 0 && c.reset > 0 && c.stall > 0, `faults injected: ${JSON.stringify(c)}`);
  const dir = makeTempDir('pgs3-it-dl-');
  await downloadAll(t, 'lake', dir, 'it/');
  for (const [schema, table] of [['s3it', 'orders'], ['s3it', 'big'], ['Sales Data', 'Order Items+=%~*é']]) {
    await verifyTable({ cluster, targetDir: dir, bucketFolder: 'it', schema, table, settings: s3Settings,
      readers: ['duckdb'] });
  }
  assert.deepEqual(await t.server.listOpenUploads('lake'), [], 'no multipart upload left open');
});

// HTTPS is always verified: a private CA works once it is named in target.caBundle, and without it the task stops
// at the target check (exit 2, no retries) with the setting to use.
test('HttpsEndpointIsVerifiedAgainstTheCaBundle', async () => {
  const dir = makeTempDir('pgs3-it-tls-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
  { stdio: 'ignore' });
  const t = await s3({ tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) } });
  assert.match(t.endpoint, /^https:/);
  const rules = [selectionRule('s3it', 'small')];
  const refused = await run(s3Task({ cluster, s3: t, rules }), t.env, 'tls-unknown-ca');
  assert.equal(refused.code, 2, describeRun(refused));
  assert.match(refused.stderr, /certificate cannot be verified.*target\.caBundle/);
  const ok = await run(s3Task({ cluster, s3: t, rules, target: { caBundle: join(dir, 'cert.pem') } }), t.env,
    'tls-ca-bundle');
  assert.equal(ok.code, 0, describeRun(ok));
  const head = await s3api({ ...t, env: { ...t.env, AWS_CA_BUNDLE: join(dir, 'cert.pem') } },
    ['head-object', '--bucket', 'lake', '--key', 'it/s3it/small/LOAD00000001.csv']);
  assert.ok(head.ContentLength > 0);
});
