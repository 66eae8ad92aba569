// Tests of the S3 test server (tests/tools/s3-server) and the fault proxy (tests/tools/fault-proxy.mjs) themselves,
// driven by an independent client — Debian's AWS CLI (/usr/bin/aws, botocore's own SigV4 signer) — and, for requests
// the CLI cannot make (a bad payload hash, a skewed clock, virtual-hosted addressing to *.localhost), raw HTTP signed
// by tests/tools/s3-server/sigv4.mjs. No pgs3 needed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';

import { makeTempDir } from './harness/pgs3.mjs';
import { startFaultProxy } from '../tools/fault-proxy.mjs';
import { startS3Server } from '../tools/s3-server/server.mjs';
import { signRequest } from '../tools/s3-server/sigv4.mjs';

const AWS = '/usr/bin/aws';
const CREDS = { accessKeyId: 'AKIATESTSERVER000001', secretAccessKey: 'test-secret-key/for+the+s3+test+server' };
const OWNER = '210987654321';
const MiB = 1024 * 1024;

// A server with one bucket 'lake' (owner OWNER), stopped when the test ends.
async function startServer(t, options = {}) {
  const s3 = await startS3Server({ region: 'us-east-1', credentials: [CREDS], buckets: [{ name: 'lake', owner: OWNER }],
    dataDir: makeTempDir('pgs3-it-s3data-'), ...options });
  t.after(() => s3.stop());
  return s3;
}

// Runs the AWS CLI against `endpoint` with a fresh HOME and only the given credentials; never throws.
function aws(endpoint, args, { creds = CREDS, region = 'us-east-1', env = {}, timeout = 120000 } = {}) {
  const home = makeTempDir('pgs3-it-awshome-');
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', endpoint, '--output', 'json', ...args], {
      timeout, maxBuffer: 64 * MiB,
      env: { PATH: '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken }
          : {}), AWS_DEFAULT_REGION: region, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', ...env },
    }, (err, stdout, stderr) => resolve({ status: err ? (err.code ?? 1) : 0, stdout, stderr,
      json: () => JSON.parse(stdout) }));
  });
}

async function awsOk(endpoint, args, options) {
  const r = await aws(endpoint, args, options);
  assert.equal(r.status, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

// The CLI fails and names `code` ("An error occurred (Code) when calling ...").
async function awsFails(endpoint, args, code, options) {
  const r = await aws(endpoint, args, options);
  assert.notEqual(r.status, 0, `aws ${args.join(' ')} succeeded, expected ${code}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), `aws ${args.join(' ')}: expected ${code}, got: ${r.stderr}`);
  return r;
}

// A raw request to `s3` (always 127.0.0.1), signed as a client would unless `sign` is false.
function rawRequest(s3, { method = 'GET', path = '/', headers = {}, body = Buffer.alloc(0), creds = CREDS,
  region = 'us-east-1', date, payloadHash, host = `127.0.0.1:${s3.port}`, sign = true, port = s3.port }) {
  const signed = sign ? signRequest({ method, url: `http://${host}${path}`, headers, body, region, date, payloadHash,
    ...creds }) : { ...headers, host };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: signed }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const md5 = (data) => createHash('md5').update(data).digest('hex');

function writeTemp(name, data) {
  const p = join(makeTempDir('pgs3-it-s3files-'), name);
  writeFileSync(p, data);
  return p;
}

// The <Code> of an S3 error document.
const codeOf = (xml) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

async function rawOk(s3, request) {
  const r = await rawRequest(s3, request);
  assert.ok(r.status >= 200 && r.status < 300, `${request.method ?? 'GET'} ${request.path}: ${r.status} ${r.body}`);
  return r;
}

async function rawFails(s3, request, status, code) {
  const r = await rawRequest(s3, request);
  assert.equal(r.status, status, `${request.method ?? 'GET'} ${request.path}: ${r.body}`);
  if (request.method !== 'HEAD') assert.equal(codeOf(r.body), code, r.body);
  return r;
}

const completeXml = (parts) => Buffer.from('<CompleteMultipartUpload>' + parts.map(([n, e]) =>
  `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('') + '</CompleteMultipartUpload>');
const taggingXml = (pairs) => Buffer.from('<Tagging><TagSet>' + pairs.map(([k, v]) =>
  `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('') + '</TagSet></Tagging>');
// The CLI prints nothing for an empty result.
const jsonOrEmpty = (r) => (r.stdout.trim() ? r.json() : {});

test('PutGetListRoundTripKeepsContentAndUserMetadata', async (t) => {
  const s3 = await startServer(t);
  const data = randomBytes(100000);
  const src = writeTemp('src.bin', data);
  const put = (await awsOk(s3.endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 'raw/shop/t 1/part=0.bin',
    '--body', src, '--content-type', 'application/x-test', '--metadata', 'origin=pgs3,table=t1'])).json();
  assert.equal(put.ETag, `"${md5(data)}"`);
  const dst = join(makeTempDir('pgs3-it-s3files-'), 'dst.bin');
  const got = (await awsOk(s3.endpoint, ['s3api', 'get-object', '--bucket', 'lake', '--key', 'raw/shop/t 1/part=0.bin',
    dst])).json();
  assert.ok(readFileSync(dst).equals(data));
  assert.equal(got.ContentType, 'application/x-test');
  assert.deepEqual(got.Metadata, { origin: 'pgs3', table: 't1' });
  const list = (await awsOk(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake'])).json();
  assert.deepEqual(list.Contents.map((o) => [o.Key, o.Size, o.ETag]),
    [['raw/shop/t 1/part=0.bin', data.length, `"${md5(data)}"`]]);
  await awsOk(s3.endpoint, ['s3api', 'delete-object', '--bucket', 'lake', '--key', 'raw/shop/t 1/part=0.bin']);
  const after = await rawOk(s3, { path: '/lake?list-type=2' });
  assert.match(after.body, /<KeyCount>0<\/KeyCount>/);
  await rawFails(s3, { path: '/lake/raw/shop/t%201/part%3D0.bin' }, 404, 'NoSuchKey');
});

test('AuthenticationFailuresGetS3sErrorCodes', async (t) => {
  const s3 = await startServer(t);
  await awsFails(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake'], 'SignatureDoesNotMatch',
    { creds: { ...CREDS, secretAccessKey: 'not-the-secret' } });
  await awsFails(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake'], 'InvalidAccessKeyId',
    { creds: { ...CREDS, accessKeyId: 'AKIANOSUCHKEY0000000' } });
  await rawFails(s3, { path: '/lake?list-type=2', sign: false }, 403, 'AccessDenied');

  // A wrong region in the credential scope: 400 naming the right region, like S3 (which clients use to redirect).
  const wrongRegion = await rawFails(s3, { path: '/lake?list-type=2', region: 'eu-west-1' }, 400,
    'AuthorizationHeaderMalformed');
  assert.match(wrongRegion.body, /<Region>us-east-1<\/Region>/);

  await rawFails(s3, { path: '/lake?list-type=2', date: new Date(Date.now() - 20 * 60 * 1000) }, 403,
    'RequestTimeTooSkewed');
  await rawOk(s3, { path: '/lake?list-type=2', date: new Date(Date.now() - 10 * 60 * 1000) });

  const body = Buffer.from('payload');
  await rawFails(s3, { method: 'PUT', path: '/lake/x', body, payloadHash: createHash('sha256').update('other')
    .digest('hex') }, 400, 'XAmzContentSHA256Mismatch');
  assert.equal(await s3.headObjectMeta('lake', 'x'), undefined);
  await rawOk(s3, { method: 'PUT', path: '/lake/x', body, payloadHash: 'UNSIGNED-PAYLOAD' });

  // An x-amz-* header added after signing is refused.
  const signed = signRequest({ method: 'GET', url: `http://127.0.0.1:${s3.port}/lake/x`, region: 'us-east-1', ...CREDS });
  const added = await rawFails(s3, { path: '/lake/x', sign: false, headers: { ...signed, 'x-amz-acl': 'private' } },
    403, 'AccessDenied');
  assert.match(added.body, /<HeadersNotSigned>x-amz-acl<\/HeadersNotSigned>/);

  // Nothing the server records contains the secret.
  assert.ok(!JSON.stringify(s3.requestLog).includes(CREDS.secretAccessKey));
});

test('SessionTokenIsRequiredForTemporaryCredentials', async (t) => {
  const temp = { accessKeyId: 'ASIATEMPORARY0000001', secretAccessKey: 'temporary-secret', sessionToken: 'tok/en+1==' };
  const s3 = await startServer(t, { credentials: [temp] });
  await awsOk(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake'], { creds: temp });
  await rawFails(s3, { path: '/lake?list-type=2', creds: { ...temp, sessionToken: 'another-token' } }, 400,
    'InvalidToken');
  await rawFails(s3, { path: '/lake?list-type=2', creds: { ...temp, sessionToken: undefined } }, 403,
    'InvalidAccessKeyId');
});

test('AwsCliMultipartCopyOf20MBSucceedsWithS3StyleETag', async (t) => {
  const s3 = await startServer(t);
  const data = randomBytes(20 * MiB);
  const src = writeTemp('big.bin', data);
  await awsOk(s3.endpoint, ['s3', 'cp', src, 's3://lake/big/big.bin']);
  // The CLI's default 8 MiB parts: 3 of them; the ETag is md5(md5(part1) || md5(part2) || md5(part3))-3.
  const parts = [data.subarray(0, 8 * MiB), data.subarray(8 * MiB, 16 * MiB), data.subarray(16 * MiB)];
  const expected = md5(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())));
  const meta = await s3.headObjectMeta('lake', 'big/big.bin');
  assert.equal(meta.etag, `"${expected}-3"`);
  assert.equal(meta.size, data.length);
  assert.equal(s3.requestLog.filter((e) => e.method === 'PUT' && /uploadId=/.test(e.query)).length, 3);
  const dst = join(makeTempDir('pgs3-it-s3files-'), 'back.bin');
  await awsOk(s3.endpoint, ['s3', 'cp', 's3://lake/big/big.bin', dst]);
  assert.ok(readFileSync(dst).equals(data), 'downloaded content differs');
  assert.deepEqual(await s3.listOpenUploads('lake'), []);
  const uploads = jsonOrEmpty(await awsOk(s3.endpoint, ['s3api', 'list-multipart-uploads', '--bucket', 'lake']));
  assert.deepEqual(uploads.Uploads ?? [], []);
});

test('CompleteMultipartUploadEnforcesPartSizeETagsAndOrder', async (t) => {
  const s3 = await startServer(t);
  const key = 'mp/small-parts.bin';
  const { UploadId: uploadId } = (await awsOk(s3.endpoint, ['s3api', 'create-multipart-upload', '--bucket', 'lake',
    '--key', key])).json();
  const p1 = randomBytes(1 * MiB);
  const p2 = randomBytes(1000);
  const e1 = (await awsOk(s3.endpoint, ['s3api', 'upload-part', '--bucket', 'lake', '--key', key, '--upload-id',
    uploadId, '--part-number', '1', '--body', writeTemp('p1', p1)])).json().ETag;
  assert.equal(e1, `"${md5(p1)}"`);
  const e2 = (await rawOk(s3, { method: 'PUT', path: `/lake/${key}?partNumber=2&uploadId=${uploadId}`, body: p2 }))
    .headers.etag;
  assert.equal(e2, `"${md5(p2)}"`);

  const parts = await rawOk(s3, { path: `/lake/${key}?uploadId=${uploadId}` });
  assert.deepEqual([...parts.body.matchAll(/<PartNumber>(\d+)<\/PartNumber>.*?<Size>(\d+)<\/Size>/g)]
    .map((m) => [Number(m[1]), Number(m[2])]), [[1, p1.length], [2, p2.length]]);

  await awsFails(s3.endpoint, ['s3api', 'complete-multipart-upload', '--bucket', 'lake', '--key', key, '--upload-id',
    uploadId, '--multipart-upload', JSON.stringify({ Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }]
    })], 'EntityTooSmall');
  const complete = (list) => ({ method: 'POST', path: `/lake/${key}?uploadId=${uploadId}`, body: completeXml(list) });
  await rawFails(s3, complete([[1, e2], [2, e2]]), 400, 'InvalidPart');
  await rawFails(s3, complete([[3, e1]]), 400, 'InvalidPart');
  await rawFails(s3, complete([[2, e2], [1, e1]]), 400, 'InvalidPartOrder');
  // Failed completions leave the upload open and create no object.
  const listed = (await awsOk(s3.endpoint, ['s3api', 'list-multipart-uploads', '--bucket', 'lake'])).json();
  assert.deepEqual(listed.Uploads.map((u) => [u.Key, u.UploadId]), [[key, uploadId]]);
  assert.equal(await s3.headObjectMeta('lake', key), undefined);

  // A single small part is a valid (last) part.
  const one = await rawOk(s3, complete([[2, e2]]));
  const etag = `${md5(createHash('md5').update(p2).digest())}-1`;
  assert.match(one.body, new RegExp(`<ETag>&quot;${etag}&quot;</ETag>`));
  assert.equal((await s3.headObjectMeta('lake', key)).etag, `"${etag}"`);
  assert.deepEqual(await s3.listOpenUploads('lake'), []);
  await rawFails(s3, complete([[2, e2]]), 404, 'NoSuchUpload');
});

test('AbortMultipartUploadRemovesItAndLaterPartsGetNoSuchUpload', async (t) => {
  const s3 = await startServer(t);
  const key = 'mp/aborted.bin';
  const { UploadId: uploadId } = (await awsOk(s3.endpoint, ['s3api', 'create-multipart-upload', '--bucket', 'lake',
    '--key', key])).json();
  const part = randomBytes(6 * MiB);
  await rawOk(s3, { method: 'PUT', path: `/lake/${key}?partNumber=1&uploadId=${uploadId}`, body: part });
  assert.equal((await s3.listOpenUploads('lake')).length, 1);
  await awsOk(s3.endpoint, ['s3api', 'abort-multipart-upload', '--bucket', 'lake', '--key', key, '--upload-id',
    uploadId]);
  assert.ok(s3.requestLog.some((e) => e.method === 'DELETE' && e.status === 204));
  const listed = jsonOrEmpty(await awsOk(s3.endpoint, ['s3api', 'list-multipart-uploads', '--bucket', 'lake']));
  assert.deepEqual(listed.Uploads ?? [], []);
  assert.deepEqual(await s3.listOpenUploads('lake'), []);
  await rawFails(s3, { method: 'PUT', path: `/lake/${key}?partNumber=2&uploadId=${uploadId}`, body: part }, 404,
    'NoSuchUpload');
  await rawFails(s3, { path: `/lake/${key}?uploadId=${uploadId}` }, 404, 'NoSuchUpload');
  await rawFails(s3, { method: 'DELETE', path: `/lake/${key}?uploadId=${uploadId}` }, 404, 'NoSuchUpload');
  await rawFails(s3, { method: 'DELETE', path: `/lake/${key}?uploadId=not-an-upload` }, 404, 'NoSuchUpload');
});

test('ObjectTaggingIsStoredAndS3LimitsAreEnforced', async (t) => {
  const s3 = await startServer(t);
  const src = writeTemp('o', 'tagged');
  await awsOk(s3.endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 't/o', '--body', src, '--tagging',
    'source=pgs3&table=order%20items']);
  const tags = (await awsOk(s3.endpoint, ['s3api', 'get-object-tagging', '--bucket', 'lake', '--key', 't/o'])).json();
  assert.deepEqual(tags.TagSet, [{ Key: 'source', Value: 'pgs3' }, { Key: 'table', Value: 'order items' }]);
  const stored = await s3.headObjectMeta('lake', 't/o');
  assert.equal(stored['x-amz-tagging'], 'source=pgs3&table=order%20items');
  assert.deepEqual(stored.tags, { source: 'pgs3', table: 'order items' });
  const tagCount = await rawOk(s3, { path: '/lake/t/o' });
  assert.equal(tagCount.headers['x-amz-tagging-count'], '2');

  const many = (n) => Array.from({ length: n }, (_, i) => [`k${i}`, 'v']);
  await awsFails(s3.endpoint, ['s3api', 'put-object-tagging', '--bucket', 'lake', '--key', 't/o', '--tagging',
    JSON.stringify({ TagSet: many(11).map(([Key, Value]) => ({ Key, Value })) })], 'BadRequest');
  const putTags = (pairs) => ({ method: 'PUT', path: '/lake/t/o?tagging', body: taggingXml(pairs) });
  await rawOk(s3, putTags(many(10)));
  assert.equal((await rawOk(s3, { path: '/lake/t/o?tagging' })).body.match(/<Tag>/g).length, 10);
  await rawFails(s3, putTags([['k'.repeat(129), 'v']]), 400, 'InvalidTag');
  await rawFails(s3, putTags([['k', 'v'.repeat(257)]]), 400, 'InvalidTag');
  await rawFails(s3, putTags([['k', 'a'], ['k', 'b']]), 400, 'InvalidTag');
  await rawOk(s3, putTags([['k'.repeat(128), 'v'.repeat(256)]]));
  await rawFails(s3, { method: 'PUT', path: '/lake/t/p', body: Buffer.from('x'),
    headers: { 'x-amz-tagging': many(11).map(([k, v]) => `${k}=${v}`).join('&') } }, 400, 'BadRequest');
  assert.equal(await s3.headObjectMeta('lake', 't/p'), undefined);
  await rawFails(s3, { path: '/lake/t/none?tagging' }, 404, 'NoSuchKey');

  // Tags given at CreateMultipartUpload end up on the completed object.
  const create = await rawOk(s3, { method: 'POST', path: '/lake/t/mp?uploads', headers: { 'x-amz-tagging': 'a=1' } });
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(create.body)[1];
  const etag = (await rawOk(s3, { method: 'PUT', path: `/lake/t/mp?partNumber=1&uploadId=${id}`, body: Buffer.from('x')
  })).headers.etag;
  await rawOk(s3, { method: 'POST', path: `/lake/t/mp?uploadId=${id}`, body: completeXml([[1, etag]]) });
  assert.match((await rawOk(s3, { path: '/lake/t/mp?tagging' })).body,
    /<TagSet><Tag><Key>a<\/Key><Value>1<\/Value><\/Tag><\/TagSet>/);
});

test('SseAndAclHeadersAreStoredAndEchoed', async (t) => {
  const s3 = await startServer(t);
  const src = writeTemp('o', 'secret-ish');
  const keyArn = 'arn:aws:kms:us-east-1:210987654321:key/abc';
  const kms = (await awsOk(s3.endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 'e/kms', '--body', src,
    '--server-side-encryption', 'aws:kms', '--ssekms-key-id', keyArn, '--acl', 'bucket-owner-full-control'])).json();
  assert.equal(kms.ServerSideEncryption, 'aws:kms');
  assert.equal(kms.SSEKMSKeyId, keyArn);
  const head = (await awsOk(s3.endpoint, ['s3api', 'head-object', '--bucket', 'lake', '--key', 'e/kms'])).json();
  assert.equal(head.ServerSideEncryption, 'aws:kms');
  assert.equal(head.SSEKMSKeyId, keyArn);
  const meta = await s3.headObjectMeta('lake', 'e/kms');
  assert.equal(meta['x-amz-acl'], 'bucket-owner-full-control');
  assert.equal(meta['x-amz-server-side-encryption'], 'aws:kms');
  assert.deepEqual([meta.acl, meta.sse, meta.sseKmsKeyId], ['bucket-owner-full-control', 'aws:kms', keyArn]);

  const aes = await rawOk(s3, { method: 'PUT', path: '/lake/e/aes', body: Buffer.from('x'),
    headers: { 'x-amz-server-side-encryption': 'AES256' } });
  assert.equal(aes.headers['x-amz-server-side-encryption'], 'AES256');
  assert.equal((await rawOk(s3, { path: '/lake/e/aes' })).headers['x-amz-server-side-encryption'], 'AES256');
  assert.equal((await rawOk(s3, { method: 'HEAD', path: '/lake/e/aes' })).headers['x-amz-server-side-encryption'],
    'AES256');
  const plain = await rawOk(s3, { method: 'PUT', path: '/lake/e/plain', body: Buffer.from('x') });
  assert.equal(plain.headers['x-amz-server-side-encryption'], undefined);
  await rawFails(s3, { method: 'PUT', path: '/lake/e/bad', body: Buffer.from('x'), headers: { 'x-amz-acl': 'nope' } },
    400, 'InvalidArgument');
  await rawFails(s3, { method: 'PUT', path: '/lake/e/bad', body: Buffer.from('x'),
    headers: { 'x-amz-server-side-encryption': 'AES128' } }, 400, 'InvalidArgument');
  // Multipart: stored at CreateMultipartUpload, echoed by UploadPart and the completed object.
  const create = await rawOk(s3, { method: 'POST', path: '/lake/e/mp?uploads',
    headers: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': keyArn } });
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(create.body)[1];
  const part = await rawOk(s3, { method: 'PUT', path: `/lake/e/mp?partNumber=1&uploadId=${id}`, body: Buffer.from('x') });
  assert.equal(part.headers['x-amz-server-side-encryption'], 'aws:kms');
  await rawOk(s3, { method: 'POST', path: `/lake/e/mp?uploadId=${id}`, body: completeXml([[1, part.headers.etag]]) });
  const mpHead = await rawOk(s3, { method: 'HEAD', path: '/lake/e/mp' });
  assert.equal(mpHead.headers['x-amz-server-side-encryption-aws-kms-key-id'], keyArn);
});

test('ExpectedBucketOwnerMismatchIsDenied', async (t) => {
  const s3 = await startServer(t);
  const src = writeTemp('o', 'x');
  await awsFails(s3.endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 'o', '--body', src,
    '--expected-bucket-owner', '999999999999'], 'AccessDenied');
  assert.equal(await s3.headObjectMeta('lake', 'o'), undefined);
  await awsOk(s3.endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 'o', '--body', src,
    '--expected-bucket-owner', OWNER]);
  await rawFails(s3, { path: '/lake?list-type=2', headers: { 'x-amz-expected-bucket-owner': '111111111111' } }, 403,
    'AccessDenied');
});

test('ListObjectsV2PaginatesInKeyOrder', async (t) => {
  const s3 = await startServer(t);
  // Keys whose filesystem order differs from S3's byte order ('a.txt' < 'a/b' as keys, not as paths).
  const keys = ['a/b', 'a.txt', 'a/c/d', 'b', 'c-1', 'c/x', 'z z'];
  for (const key of keys) {
    await rawOk(s3, { method: 'PUT', path: `/lake/${key.replace(' ', '%20')}`, body: Buffer.from(key) });
  }
  const all = (await awsOk(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake', '--page-size', '2'])).json();
  assert.deepEqual(all.Contents.map((o) => o.Key), [...keys].sort());
  const listRequests = s3.requestLog.filter((e) => e.method === 'GET' && /list-type=2/.test(e.query));
  assert.equal(listRequests.length, 4);
  assert.equal(listRequests.filter((e) => /continuation-token=/.test(e.query)).length, 3);

  const first = (await awsOk(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake', '--max-items', '3',
    '--page-size', '2'])).json();
  assert.equal(first.Contents.length, 3);
  assert.ok(first.NextToken);
  const rest = (await awsOk(s3.endpoint, ['s3api', 'list-objects-v2', '--bucket', 'lake', '--starting-token',
    first.NextToken, '--page-size', '2'])).json();
  assert.deepEqual([...first.Contents, ...rest.Contents].map((o) => o.Key), [...keys].sort());

  // With a delimiter a common prefix is one entry of a page.
  const entries = [];
  let token;
  for (let page = 0; page < 10; page++) {
    const r = await rawOk(s3, { path: `/lake?list-type=2&delimiter=%2F&max-keys=1` +
      (token ? `&continuation-token=${encodeURIComponent(token)}` : '') });
    entries.push(...[...r.body.matchAll(/<(Key|Prefix)>([^<]+)<\/\1>/g)].map((m) => m[2]));
    token = /<NextContinuationToken>([^<]+)</.exec(r.body)?.[1];
    if (!token) break;
  }
  assert.deepEqual(entries, ['a.txt', 'a/', 'b', 'c-1', 'c/', 'z z']);
  const inA = await rawOk(s3, { path: '/lake?list-type=2&prefix=a%2F&delimiter=%2F' });
  assert.deepEqual([...inA.body.matchAll(/<Key>([^<]+)</g)].map((m) => m[1]), ['a/b']);
  assert.deepEqual([...inA.body.matchAll(/<CommonPrefixes><Prefix>([^<]+)</g)].map((m) => m[1]), ['a/c/']);
  await rawFails(s3, { path: '/lake?list-type=2&continuation-token=garbage' }, 400, 'InvalidArgument');
  const v1 = await rawOk(s3, { path: '/lake?max-keys=3&marker=a%2Fc%2Fd' });
  assert.deepEqual([...v1.body.matchAll(/<Key>([^<]+)</g)].map((m) => m[1]), ['b', 'c-1', 'c/x']);
  assert.match(v1.body, /<IsTruncated>true<\/IsTruncated>/);
});

test('BucketLevelOperationsReportRegionVersioningAndMissingBuckets', async (t) => {
  const s3 = await startServer(t, { region: 'eu-west-1',
    buckets: [{ name: 'lake', owner: OWNER }, { name: 'versioned', versioning: 'Enabled' }] });
  const opts = { region: 'eu-west-1' };
  const head = await rawOk(s3, { method: 'HEAD', path: '/lake', region: 'eu-west-1' });
  assert.equal(head.headers['x-amz-bucket-region'], 'eu-west-1');
  const location = (await awsOk(s3.endpoint, ['s3api', 'get-bucket-location', '--bucket', 'lake'], opts)).json();
  assert.equal(location.LocationConstraint, 'eu-west-1');
  const versioned = (await awsOk(s3.endpoint, ['s3api', 'get-bucket-versioning', '--bucket', 'versioned'], opts))
    .json();
  assert.equal(versioned.Status, 'Enabled');
  const plain = await rawOk(s3, { path: '/lake?versioning', region: 'eu-west-1' });
  assert.doesNotMatch(plain.body, /<Status>/);
  const missing = await rawFails(s3, { path: '/nosuchbucket?list-type=2', region: 'eu-west-1' }, 404, 'NoSuchBucket');
  assert.match(missing.body, /<BucketName>nosuchbucket<\/BucketName>/);
  await rawFails(s3, { method: 'HEAD', path: '/nosuchbucket', region: 'eu-west-1' }, 404);
});

test('VirtualHostedStyleAddressesTheBucketFromTheHost', async (t) => {
  const s3 = await startServer(t);
  const host = `lake.localhost:${s3.port}`;
  const body = Buffer.from('virtual');
  const put = await rawRequest(s3, { method: 'PUT', path: '/dir/v%20h.txt', host, body });
  assert.equal(put.status, 200, put.body);
  const get = await rawRequest(s3, { path: '/dir/v%20h.txt', host });
  assert.equal(get.status, 200);
  assert.equal(get.body, 'virtual');
  const pathStyle = await rawRequest(s3, { path: '/lake/dir/v%20h.txt' });
  assert.equal(pathStyle.body, 'virtual');
  const list = await rawRequest(s3, { path: '/?list-type=2&prefix=dir%2F', host });
  assert.match(list.body, /<Key>dir\/v h\.txt<\/Key>/);
  const missing = await rawRequest(s3, { path: '/x', host: `nosuchbucket.localhost:${s3.port}` });
  assert.equal(missing.status, 404);
  assert.match(missing.body, /<BucketName>nosuchbucket<\/BucketName>/);
});

test('DenyPolicyRefusesTheListedActions', async (t) => {
  const s3 = await startServer(t, { denyActions: ['s3:PutObjectTagging', 's3:DeleteObject'] });
  await rawOk(s3, { method: 'PUT', path: '/lake/probe', body: Buffer.from('x') });
  await awsFails(s3.endpoint, ['s3api', 'put-object-tagging', '--bucket', 'lake', '--key', 'probe', '--tagging',
    JSON.stringify({ TagSet: [{ Key: 'a', Value: 'b' }] })], 'AccessDenied');
  await awsFails(s3.endpoint, ['s3api', 'delete-object', '--bucket', 'lake', '--key', 'probe'], 'AccessDenied');
  // PutObject with x-amz-tagging needs s3:PutObjectTagging too.
  await rawFails(s3, { method: 'PUT', path: '/lake/tagged', body: Buffer.from('x'), headers: { 'x-amz-tagging': 'a=b' }
  }, 403, 'AccessDenied');
  assert.ok(await s3.headObjectMeta('lake', 'probe'));
  s3.setDenyActions([]);
  await rawOk(s3, { method: 'DELETE', path: '/lake/probe' });
  assert.equal(await s3.headObjectMeta('lake', 'probe'), undefined);
});

test('FaultProxyInjects503sThatTheAwsCliRetriesThrough', async (t) => {
  const s3 = await startServer(t);
  const proxy = await startFaultProxy({ target: s3.endpoint, seed: 7, rate503: 0.3 });
  t.after(() => proxy.stop());
  const dir = makeTempDir('pgs3-it-s3files-');
  const datas = [];
  for (let i = 0; i < 8; i++) {
    datas.push(randomBytes(1000 + i));
    writeFileSync(join(dir, `f${i}`), datas[i]);
  }
  await awsOk(proxy.endpoint, ['s3', 'cp', '--recursive', dir, 's3://lake/f/'],
    { env: { AWS_RETRY_MODE: 'standard', AWS_MAX_ATTEMPTS: '10' } });
  assert.ok(proxy.counts.rate503 > 0, `no 503 injected: ${JSON.stringify(proxy.counts)}`);
  assert.equal(proxy.counts.rateReset + proxy.counts.rateStall, 0);
  for (let i = 0; i < datas.length; i++) {
    assert.equal((await s3.headObjectMeta('lake', `f/f${i}`))?.etag, `"${md5(datas[i])}"`, `f/f${i}`);
  }
  // Every request the proxy let through reached the server; the 503s did not.
  assert.equal(s3.requestLog.length, proxy.counts.forwarded);
  assert.equal(proxy.counts.requests, proxy.counts.forwarded + proxy.counts.rate503);
});

test('FaultProxyIsDeterministicAndResetsAndStalls', async (t) => {
  const s3 = await startServer(t);
  const statusesWithSeed = async (seed) => {
    const proxy = await startFaultProxy({ target: s3.endpoint, seed, rate503: 0.5 });
    t.after(() => proxy.stop());
    const statuses = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await rawRequest(s3, { path: '/lake?list-type=2', port: proxy.port })).status);
    }
    await proxy.stop();
    return statuses;
  };
  const a = await statusesWithSeed(42);
  assert.deepEqual(await statusesWithSeed(42), a);
  assert.ok(a.includes(503) && a.includes(200), `expected both 503 and 200 in ${a}`);
  assert.notDeepEqual(await statusesWithSeed(43), a);

  const reset = await startFaultProxy({ target: s3.endpoint, seed: 1, rateReset: 1 });
  t.after(() => reset.stop());
  for (let i = 0; i < 6; i++) {
    await assert.rejects(rawRequest(s3, { method: 'PUT', path: `/lake/r${i}`, body: randomBytes(200000),
      port: reset.port }), /ECONNRESET|socket hang up|aborted/);
  }
  await assert.rejects(rawRequest(s3, { path: '/lake?list-type=2', port: reset.port }),
    /ECONNRESET|socket hang up|aborted/);
  assert.equal(reset.counts.rateReset, 7);
  assert.equal(reset.counts.reset, 7);
  assert.ok(reset.counts.resetDuringRequest > 0 && reset.counts.resetDuringResponse > 0, JSON.stringify(reset.counts));
  // A reset while the request was sent loses the write; a reset of the answer hides a write that happened.
  for (const [i, e] of reset.events.slice(0, 6).entries()) {
    const stored = Boolean(await s3.headObjectMeta('lake', `r${i}`));
    assert.equal(stored, e.fault === 'resetDuringResponse', `r${i}: ${e.fault}`);
  }

  const stall = await startFaultProxy({ target: s3.endpoint, seed: 1, rateStall: 1, stallMs: 300 });
  t.after(() => stall.stop());
  const started = Date.now();
  const put = await rawRequest(s3, { method: 'PUT', path: '/lake/stalled', body: Buffer.from('late'), port: stall.port });
  assert.equal(put.status, 200);
  assert.ok(Date.now() - started >= 290, 'the stalled answer came early');
  assert.equal(stall.counts.rateStall, 1);
  assert.ok(await s3.headObjectMeta('lake', 'stalled'));
});

test('CommandLineServerPrintsItsEndpointAndStopsOnSigterm', async (t) => {
  const { spawn } = await import('node:child_process');
  const main = new URL('../tools/s3-server/main.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, '--port', '0', '--region', 'us-east-1', '--bucket', 'lake',
    '--access-key', CREDS.accessKeyId, '--secret-key', CREDS.secretAccessKey], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('no endpoint line within 20 s')), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const { endpoint } = JSON.parse(line);
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  await awsOk(endpoint, ['s3api', 'put-object', '--bucket', 'lake', '--key', 'cli', '--body', writeTemp('c', 'cli')]);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('conditional writes: If-None-Match: * creates once, If-Match replaces only the version named', async (t) => {
  const s3 = await startServer(t);
  const path = '/lake/_pgs3/t/lease.json';
  const first = await rawOk(s3, { method: 'PUT', path, headers: { 'if-none-match': '*' }, body: Buffer.from('v1') });
  await rawFails(s3, { method: 'PUT', path, headers: { 'if-none-match': '*' }, body: Buffer.from('v2') }, 412,
    'PreconditionFailed');
  const second = await rawOk(s3, { method: 'PUT', path, headers: { 'if-match': first.headers.etag },
    body: Buffer.from('v2') });
  assert.notEqual(second.headers.etag, first.headers.etag);
  // The old version is gone: a writer that still names it is refused, and the object keeps the winner's bytes.
  await rawFails(s3, { method: 'PUT', path, headers: { 'if-match': first.headers.etag }, body: Buffer.from('v3') },
    412, 'PreconditionFailed');
  await rawFails(s3, { method: 'PUT', path: '/lake/_pgs3/t/none.json', headers: { 'if-match': first.headers.etag },
    body: Buffer.from('x') }, 404, 'NoSuchKey');
  const get = await rawOk(s3, { path });
  assert.equal(get.body, 'v2');
  assert.ok(get.headers['last-modified'] && get.headers.date, 'GET answers Last-Modified and Date (the lease age)');
  assert.equal(s3.conditionalRefusals.length, 3);

  // Racing writers of one version: exactly one wins.
  const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => rawRequest(s3, { method: 'PUT', path,
    headers: { 'if-match': second.headers.etag }, body: Buffer.from(`racer ${i}`) })));
  assert.deepEqual(racers.map((r) => r.status).sort(), [200, 412, 412, 412, 412, 412]);
});
