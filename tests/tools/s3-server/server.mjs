// The S3 test server: npm `s3rver` (objects on disk, GET/HEAD/DELETE/copy/bucket create and delete) behind our own
// front server, which authenticates every request with SigV4 (sigv4.mjs) and itself handles what s3rver lacks or
// gets wrong for pgs3's tests: multipart uploads (S3's part-size, ETag and order checks, abort, ListParts,
// ListMultipartUploads, the "<md5 of part md5s>-<n>" ETag), object tagging with S3's limits, stored SSE/ACL headers,
// x-amz-expected-bucket-owner, ListObjects V1/V2 in key order with real pagination (s3rver's continuation tokens
// need a legacy OpenSSL cipher on Node 20), HeadBucket/GetBucketLocation/GetBucketVersioning, virtual-hosted-style
// addressing (`<bucket>.localhost:<port>`) and a per-server policy that denies chosen actions.
//
//   const s3 = await startS3Server({ region: 'us-east-1', credentials: [{ accessKeyId, secretAccessKey }],
//                                    buckets: [{ name: 'lake' }], dataDir });
//   ... s3.endpoint, s3.requestLog, await s3.listOpenUploads('lake'), await s3.headObjectMeta('lake', key) ...
//   await s3.stop();
//
// Clock: like S3, a request whose x-amz-date is more than 15 minutes from the server's clock is refused with 403
// RequestTimeTooSkewed (its <ServerTime> and the answer's Date header give the server's time). `clockOffsetMs` (or
// setClockOffset()) makes the server's clock run that far from the machine's — e.g. 3600000: an hour ahead — so a
// client signing with the machine's clock is refused until it adopts the server's time.
//
// Both servers bind 127.0.0.1 only. Request bodies are read whole into memory before they are checked (test sizes).
// Extra per-object state (SSE, ACL, tagging) lives in s3rver's metadata.json beside the object, so that s3rver's own
// delete and copy carry it along.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { uriDecode, uriEncode, verifyPayload, verifyRequest } from './sigv4.mjs';
import { S3Error, S3_XMLNS, el, elements, errorDocument, firstText, newRequestId, parseCompleteXml, parseTaggingXml,
  xmlDocument } from './xml.mjs';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const S3Object = require('s3rver/lib/models/object');

export const DEFAULT_OWNER = '123456789012';
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10000;
const CANNED_ACLS = new Set(['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read',
  'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write']);
const SSE_ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);
// Headers s3rver keeps with an object (S3Object.ALLOWED_METADATA) plus user metadata.
const OBJECT_HEADERS = new Set(S3Object.ALLOWED_METADATA);
// Headers this server keeps with an object itself, in s3rver's metadata.json.
const EXTRA_HEADERS = ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-acl',
  'x-amz-tagging'];
const REQUEST_LOG_LIMIT = 100000;

// A request's parsed target: bucket, key (decoded), sub-resources and parameters (decoded).
function parseTarget(req) {
  const url = req.url;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const query = new Map();
  for (const p of rawQuery.split('&')) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    query.set(uriDecode(eq < 0 ? p : p.slice(0, eq)), eq < 0 ? '' : uriDecode(p.slice(eq + 1)));
  }
  const host = (req.headers.host || '').toLowerCase();
  const hostname = host.replace(/:\d+$/, '');
  let bucket;
  let rawKey;
  if (hostname.endsWith('.localhost')) {
    // Virtual-hosted style: <bucket>.localhost:<port>/<key>.
    bucket = hostname.slice(0, -'.localhost'.length);
    rawKey = rawPath.slice(1);
  } else {
    const rest = rawPath.slice(1);
    const slash = rest.indexOf('/');
    bucket = uriDecode(slash < 0 ? rest : rest.slice(0, slash));
    rawKey = slash < 0 ? '' : rest.slice(slash + 1);
  }
  return { rawPath, rawQuery, query, bucket: bucket || undefined, rawKey, key: rawKey ? uriDecode(rawKey) : undefined,
    vhost: hostname.endsWith('.localhost') };
}

// The IAM actions a request needs (Amazon S3 "Actions, resources, and condition keys"), for the deny policy.
function actionsOf(method, { bucket, key, query }, headers) {
  const has = (p) => query.has(p);
  if (!bucket) return ['s3:ListAllMyBuckets'];
  if (key === undefined) {
    if (method === 'HEAD') return ['s3:ListBucket'];
    if (method === 'GET') {
      if (has('location')) return ['s3:GetBucketLocation'];
      if (has('versioning')) return ['s3:GetBucketVersioning'];
      if (has('uploads')) return ['s3:ListBucketMultipartUploads'];
      if (has('tagging')) return ['s3:GetBucketTagging'];
      return ['s3:ListBucket'];
    }
    if (method === 'PUT') return [has('versioning') ? 's3:PutBucketVersioning' : 's3:CreateBucket'];
    if (method === 'DELETE') return ['s3:DeleteBucket'];
    if (method === 'POST' && has('delete')) return ['s3:DeleteObject'];
    return [`s3:${method}Bucket`];
  }
  const tagging = headers['x-amz-tagging'] !== undefined ? ['s3:PutObjectTagging'] : [];
  if (method === 'GET' || method === 'HEAD') {
    if (has('tagging')) return ['s3:GetObjectTagging'];
    if (has('uploadId')) return ['s3:ListMultipartUploadParts'];
    if (has('acl')) return ['s3:GetObjectAcl'];
    return ['s3:GetObject'];
  }
  if (method === 'PUT') {
    if (has('tagging')) return ['s3:PutObjectTagging'];
    if (headers['x-amz-copy-source'] !== undefined) return ['s3:PutObject', 's3:GetObject', ...tagging];
    return ['s3:PutObject', ...tagging];
  }
  if (method === 'POST') return has('uploads') ? ['s3:PutObject', ...tagging] : ['s3:PutObject'];
  if (method === 'DELETE') {
    if (has('tagging')) return ['s3:DeleteObjectTagging'];
    if (has('uploadId')) return ['s3:AbortMultipartUpload'];
    return ['s3:DeleteObject'];
  }
  return [`s3:${method}Object`];
}

function globMatch(pattern, text) {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$',
    'i');
  return re.test(text);
}

// x-amz-tagging (URL-encoded) or a parsed TagSet → [[k, v]] within S3's limits, or S3Error.
function checkTags(pairs) {
  if (pairs.length > 10) throw new S3Error('BadRequest', 'Object tags cannot be greater than 10');
  const seen = new Set();
  for (const [k, v] of pairs) {
    if (k.length < 1 || [...k].length > 128) {
      throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid: 1 to 128 characters', { TagKey: k });
    }
    if ([...v].length > 256) {
      throw new S3Error('InvalidTag', 'The TagValue you have provided is too long, max 256', { TagKey: k, TagValue: v });
    }
    if (seen.has(k)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key', { TagKey: k });
    seen.add(k);
  }
  return pairs;
}

function parseTaggingHeader(text) {
  return checkTags([...new URLSearchParams(text)]);
}

function encodeTags(pairs) {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// The SSE/ACL/tagging headers of a PutObject or CreateMultipartUpload, validated as S3 does.
function extrasFromHeaders(headers) {
  const extras = {};
  const sse = headers['x-amz-server-side-encryption'];
  const kmsKey = headers['x-amz-server-side-encryption-aws-kms-key-id'];
  if (sse !== undefined) {
    if (!SSE_ALGORITHMS.has(sse)) {
      throw new S3Error('InvalidArgument', 'The encryption method specified is not supported',
        { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: sse });
    }
    extras['x-amz-server-side-encryption'] = sse;
  }
  if (kmsKey !== undefined) {
    if (!sse || !sse.startsWith('aws:kms')) {
      throw new S3Error('InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires ' +
        'HTTP header x-amz-server-side-encryption : aws:kms', { ArgumentName: 'x-amz-server-side-encryption' });
    }
    extras['x-amz-server-side-encryption-aws-kms-key-id'] = kmsKey;
  }
  const acl = headers['x-amz-acl'];
  if (acl !== undefined) {
    if (!CANNED_ACLS.has(acl)) {
      throw new S3Error('InvalidArgument', `Unknown canned ACL ${acl}`, { ArgumentName: 'x-amz-acl',
        ArgumentValue: acl });
    }
    extras['x-amz-acl'] = acl;
  }
  if (headers['x-amz-tagging'] !== undefined) {
    extras['x-amz-tagging'] = encodeTags(parseTaggingHeader(headers['x-amz-tagging']));
  }
  return extras;
}

function objectHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => OBJECT_HEADERS.has(k) ||
    k.startsWith('x-amz-meta-')));
}

function sseResponseHeaders(meta) {
  const out = {};
  for (const h of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']) {
    if (meta[h] !== undefined) out[h] = meta[h];
  }
  return out;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let complete = false;
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      complete = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('close', () => { if (!complete) reject(new Error('the client closed the connection mid-request')); });
  });
}

function keyIsStorable(key) {
  // s3rver stores keys as paths: '.'/'..' segments would leave the bucket directory.
  return !key.split('/').some((s) => s === '.' || s === '..');
}

export async function startS3Server({
  port = 0, region = 'us-east-1', credentials = [], buckets = [], denyActions = [], dataDir, defaultOwner = DEFAULT_OWNER,
  tls, clockOffsetMs = 0,
} = {}) {
  let clockOffset = clockOffsetMs;
  const serverNow = () => Date.now() + clockOffset;
  const ownDataDir = !dataDir;
  const root = dataDir ?? mkdtempSync(join(tmpdir(), 'pgs3-s3-'));
  await mkdir(root, { recursive: true });
  const keys = new Map(credentials.map((c) => [c.accessKeyId, c]));
  // Bucket name → { owner, versioning, region }; buckets made through CreateBucket get the defaults.
  const bucketConfig = new Map();
  const configureBucket = (b) => bucketConfig.set(b.name, { owner: b.owner ?? defaultOwner,
    versioning: b.versioning, region: b.region ?? region });
  buckets.forEach(configureBucket);
  let denied = [...denyActions];
  const requestLog = [];
  const conditionalRefusals = []; // { key, header } of each conditional write refused

  const backend = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: root, vhostBuckets: false,
    configureBuckets: buckets.map((b) => ({ name: b.name })) });
  const backendAddress = await backend.run();
  const backendAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const store = backend.store;

  const configOf = (bucket) => bucketConfig.get(bucket) ?? { owner: defaultOwner, region };
  const objectPath = (bucket, key) => store.getResourcePath(bucket, key, 'object');
  const metadataPath = (bucket, key) => store.getResourcePath(bucket, key, 'metadata.json');
  const uploadsDir = (bucket) => store.getResourcePath(bucket, undefined, 'uploads');
  const uploadDir = (bucket, uploadId) => join(uploadsDir(bucket), uploadId);

  async function readJson(path) {
    try {
      return JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async function objectExists(bucket, key) {
    try {
      return (await stat(objectPath(bucket, key))).isFile();
    } catch {
      return false;
    }
  }

  async function mergeMetadata(bucket, key, extras) {
    const meta = (await readJson(metadataPath(bucket, key))) ?? {};
    for (const [k, v] of Object.entries(extras)) {
      if (v === undefined) delete meta[k];
      else meta[k] = v;
    }
    await writeFile(metadataPath(bucket, key), JSON.stringify(meta, null, 2));
  }

  // Everything stored about an object, or undefined: the headers as stored (content-type, x-amz-meta-*,
  // x-amz-server-side-encryption[-aws-kms-key-id], x-amz-acl, x-amz-tagging URL-encoded), etag (quoted), size, and
  // for convenience acl, sse, sseKmsKeyId, tags ({ key: value }) and userMetadata ({ name: value }).
  async function headObjectMeta(bucket, key) {
    if (!(await objectExists(bucket, key))) return undefined;
    const meta = await store.getMetadata(bucket, key);
    return { ...meta, etag: meta.etag, size: Number(meta['content-length']), acl: meta['x-amz-acl'],
      sse: meta['x-amz-server-side-encryption'], sseKmsKeyId: meta['x-amz-server-side-encryption-aws-kms-key-id'],
      tags: Object.fromEntries(new URLSearchParams(meta['x-amz-tagging'] ?? '')),
      userMetadata: Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('x-amz-meta-'))
        .map(([k, v]) => [k.slice('x-amz-meta-'.length), v])) };
  }

  async function openUpload(bucket, uploadId, key) {
    if (!/^[0-9a-f]{32}$/.test(uploadId ?? '')) throw noSuchUpload(uploadId);
    const dir = uploadDir(bucket, uploadId);
    const meta = await readJson(join(dir, 'metadata'));
    let storedKey;
    try {
      storedKey = await readFile(join(dir, 'key'), 'utf8');
    } catch {
      throw noSuchUpload(uploadId);
    }
    if (!meta || (key !== undefined && storedKey !== key)) throw noSuchUpload(uploadId);
    return { dir, meta, key: storedKey };
  }

  function noSuchUpload(uploadId) {
    return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the ' +
      'upload may have been aborted or completed.', { UploadId: uploadId ?? '' });
  }

  async function listParts(dir) {
    const parts = [];
    for (const name of await readdir(dir).catch(() => [])) {
      if (!/^\d+$/.test(name)) continue;
      const st = await stat(join(dir, name));
      const md5 = await readFile(join(dir, `${name}.md5`), 'utf8').catch(() => undefined);
      if (md5 === undefined) continue; // a part still being written
      parts.push({ number: Number(name), size: st.size, etag: md5, lastModified: st.mtime });
    }
    return parts.sort((a, b) => a.number - b.number);
  }

  // Open multipart uploads of a bucket: [{ key, uploadId, initiated }], by key then initiation time.
  async function listOpenUploads(bucket) {
    const out = [];
    for (const uploadId of await readdir(uploadsDir(bucket)).catch(() => [])) {
      const dir = uploadDir(bucket, uploadId);
      const key = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
      const meta = await readJson(join(dir, 'metadata')).catch(() => undefined);
      if (key === undefined || !meta) continue;
      out.push({ key, uploadId, initiated: meta['pgs3-initiated'] });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated < b.initiated ? -1 : 1));
  }

  // --- handlers: each returns { status, headers, body } or forwards itself ---

  const xmlReply = (body, headers = {}, status = 200) => ({ status, headers: { 'content-type': 'application/xml',
    ...headers }, body: xmlDocument(body) });

  // Writes an object in s3rver's layout (data, .md5, metadata.json) and only then moves the data into place: s3rver's
  // own putObject answers before its write stream has flushed, which a GET right after the PUT could observe.
  async function writeObject(bucket, key, sources, etag, meta) {
    const path = objectPath(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.pgs3-tmp-${randomBytes(6).toString('hex')}`;
    try {
      await pipeline(async function* () {
        for (const s of sources) {
          if (Buffer.isBuffer(s)) yield s;
          else yield* createReadStream(s);
        }
      }, createWriteStream(tmp));
      await writeFile(`${path}.md5`, etag);
      await writeFile(metadataPath(bucket, key), JSON.stringify(meta, null, 2));
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  // Conditional writes (S3 "conditional writes"): If-None-Match: * fails with 412 PreconditionFailed when the object
  // exists; If-Match: <etag> with 412 when its ETag differs and 404 NoSuchKey when it does not exist. Each key's
  // writes run one at a time, so a check and the write after it are atomic against other writers of the key.
  const keyQueues = new Map();
  async function serialized(bucket, key, fn) {
    const id = `${bucket}/${key}`;
    const before = keyQueues.get(id) ?? Promise.resolve();
    let done;
    const mine = new Promise((resolve) => { done = resolve; });
    keyQueues.set(id, before.then(() => mine));
    await before;
    try {
      return await fn();
    } finally {
      done();
      if (keyQueues.get(id) === mine) keyQueues.delete(id);
    }
  }
  async function checkPreconditions(t, headers) {
    const ifNoneMatch = headers['if-none-match'];
    const ifMatch = headers['if-match'];
    if (ifNoneMatch === undefined && ifMatch === undefined) return;
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
      throw new S3Error('NotImplemented', 'If-None-Match only accepts *');
    }
    const current = await headObjectMeta(t.bucket, t.key);
    if (ifNoneMatch !== undefined && current) {
      conditionalRefusals.push({ key: t.key, header: 'if-none-match' });
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-None-Match' });
    }
    if (ifMatch !== undefined) {
      if (!current) {
        conditionalRefusals.push({ key: t.key, header: 'if-match' });
        throw noSuchKey(t.key);
      }
      if (current.etag !== ifMatch && `"${current.etag}"` !== ifMatch) {
        conditionalRefusals.push({ key: t.key, header: 'if-match' });
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold',
          { Condition: 'If-Match' });
      }
    }
  }

  async function putObject(t, headers, body) {
    if (!keyIsStorable(t.key)) throw new S3Error('InvalidArgument', 'The test server cannot store keys with . or .. ' +
      'segments', { ArgumentName: 'key', ArgumentValue: t.key });
    const extras = extrasFromHeaders(headers);
    const meta = objectHeaders(headers);
    new S3Object(t.bucket, t.key, null, meta); // validates x-amz-storage-class as s3rver does
    const md5 = createHash('md5').update(body).digest('hex');
    await serialized(t.bucket, t.key, async () => {
      await checkPreconditions(t, headers);
      await writeObject(t.bucket, t.key, [body], md5, { ...meta, ...extras });
    });
    return { status: 200, headers: { etag: `"${md5}"`, ...sseResponseHeaders(extras) }, body: '' };
  }

  async function createMultipartUpload(t, headers) {
    if (!keyIsStorable(t.key)) throw new S3Error('InvalidArgument', 'The test server cannot store keys with . or .. ' +
      'segments', { ArgumentName: 'key', ArgumentValue: t.key });
    const extras = extrasFromHeaders(headers);
    new S3Object(t.bucket, t.key, null, objectHeaders(headers)); // validates the storage class like PutObject
    const uploadId = randomBytes(16).toString('hex');
    await store.initiateUpload(t.bucket, t.key, uploadId, { ...objectHeaders(headers), ...extras,
      'pgs3-initiated': new Date().toISOString() });
    return xmlReply(el('InitiateMultipartUploadResult', [el('Bucket', t.bucket), el('Key', t.key),
      el('UploadId', uploadId)], ` xmlns="${S3_XMLNS}"`), sseResponseHeaders(extras));
  }

  async function uploadPart(t, body) {
    const partText = t.query.get('partNumber');
    const number = Number(partText);
    if (!/^\d+$/.test(partText ?? '') || number < 1 || number > MAX_PART_NUMBER) {
      throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
        { ArgumentName: 'partNumber', ArgumentValue: partText ?? '' });
    }
    const upload = await openUpload(t.bucket, t.query.get('uploadId'), t.key);
    // The .md5 file is written last: listParts ignores a part without one, so it never sees half a part.
    await rm(join(upload.dir, `${number}.md5`), { force: true });
    const md5 = createHash('md5').update(body).digest('hex');
    await writeFile(join(upload.dir, String(number)), body);
    await writeFile(join(upload.dir, `${number}.md5`), md5);
    return { status: 200, headers: { etag: `"${md5}"`, ...sseResponseHeaders(upload.meta) }, body: '' };
  }

  async function completeMultipartUpload(t, body) {
    const uploadId = t.query.get('uploadId');
    const upload = await openUpload(t.bucket, uploadId, t.key);
    const requested = parseCompleteXml(body.toString('utf8'));
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our ' +
        'published schema: a CompleteMultipartUpload needs at least one Part.');
    }
    for (let i = 1; i < requested.length; i++) {
      if (requested[i].number <= requested[i - 1].number) {
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be ' +
          'specified in order by part number.', { UploadId: uploadId });
      }
    }
    const stored = new Map((await listParts(upload.dir)).map((p) => [p.number, p]));
    for (const p of requested) {
      const have = stored.get(p.number);
      if (!have || have.etag !== p.etag) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found. The part may not ' +
          "have been uploaded, or the specified entity tag may not match the part's entity tag.",
        { UploadId: uploadId, PartNumber: p.number, ETag: p.etag });
      }
    }
    for (const p of requested.slice(0, -1)) {
      const size = stored.get(p.number).size;
      if (size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.',
          { ProposedSize: size, MinSizeAllowed: MIN_PART_SIZE, PartNumber: p.number, ETag: p.etag });
      }
    }
    const md5s = Buffer.concat(requested.map((p) => Buffer.from(p.etag, 'hex')));
    const etag = `${createHash('md5').update(md5s).digest('hex')}-${requested.length}`;
    const extras = Object.fromEntries(EXTRA_HEADERS.filter((h) => upload.meta[h] !== undefined)
      .map((h) => [h, upload.meta[h]]));
    await writeObject(t.bucket, t.key, requested.map((p) => join(upload.dir, String(p.number))), etag,
      { ...objectHeaders(upload.meta), ...extras });
    await rm(upload.dir, { recursive: true, force: true });
    const location = `http://${t.host}/${t.vhost ? '' : `${t.bucket}/`}${uriEncode(t.key, true)}`;
    return xmlReply(el('CompleteMultipartUploadResult', [el('Location', location), el('Bucket', t.bucket),
      el('Key', t.key), el('ETag', `"${etag}"`)], ` xmlns="${S3_XMLNS}"`), sseResponseHeaders(extras));
  }

  // DeleteObject / DeleteObjects, instead of s3rver's: its delete removes a key's emptied folders without minding
  // that a concurrent delete of a neighbour may have removed them first (and then fails with a 500 every time the
  // folder is gone). Deleting a key that does not exist is no error, as on S3.
  async function removeObject(bucket, key) {
    await serialized(bucket, key, async () => {
      for (const suffix of ['object', 'object.md5', 'metadata.json']) {
        await rm(store.getResourcePath(bucket, key, suffix), { force: true });
      }
    });
    const bucketPath = store.getBucketPath(bucket);
    const parts = key.split('/').slice(0, -1);
    while (parts.length) {
      try {
        await rmdir(join(bucketPath, ...parts));
      } catch (err) {
        if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') break;
        if (err.code !== 'ENOENT') throw err;
      }
      parts.pop();
    }
  }

  async function deleteObjects(t, body) {
    const xml = body.toString('utf8');
    const keys = elements(xml, 'Object').map((o) => firstText(o, 'Key'));
    if (keys.length === 0 || keys.length > 1000 || keys.some((k) => k === undefined)) {
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our ' +
        'published schema: Delete needs 1 to 1000 Object elements with a Key.');
    }
    const quiet = /^\s*true\s*$/i.test(firstText(xml, 'Quiet') ?? '');
    for (const key of keys) await removeObject(t.bucket, key);
    return xmlReply(el('DeleteResult', quiet ? [] : keys.map((k) => el('Deleted', [el('Key', k)])),
      ` xmlns="${S3_XMLNS}"`));
  }

  async function abortMultipartUpload(t) {
    const upload = await openUpload(t.bucket, t.query.get('uploadId'), t.key);
    await rm(upload.dir, { recursive: true, force: true });
    return { status: 204, headers: {}, body: '' };
  }

  async function listPartsReply(t) {
    const uploadId = t.query.get('uploadId');
    const upload = await openUpload(t.bucket, uploadId, t.key);
    const maxParts = Math.min(1000, Number(t.query.get('max-parts') ?? 1000));
    const marker = Number(t.query.get('part-number-marker') ?? 0);
    const all = (await listParts(upload.dir)).filter((p) => p.number > marker);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    const owner = el('ID', configOf(t.bucket).owner);
    return xmlReply(el('ListPartsResult', [el('Bucket', t.bucket), el('Key', t.key), el('UploadId', uploadId),
      el('Initiator', [owner]), el('Owner', [owner]), el('StorageClass', upload.meta['x-amz-storage-class'] ?? 'STANDARD'),
      el('PartNumberMarker', marker), el('NextPartNumberMarker', page.length ? page[page.length - 1].number : marker),
      el('MaxParts', maxParts), el('IsTruncated', truncated),
      ...page.map((p) => el('Part', [el('PartNumber', p.number), el('LastModified', p.lastModified.toISOString()),
        el('ETag', `"${p.etag}"`), el('Size', p.size)]))], ` xmlns="${S3_XMLNS}"`));
  }

  async function listMultipartUploads(t) {
    const urlEncode = t.query.get('encoding-type') === 'url';
    const enc = (s) => (urlEncode ? uriEncode(s, true) : s);
    const prefix = t.query.get('prefix') ?? '';
    const keyMarker = t.query.get('key-marker') ?? '';
    const idMarker = t.query.get('upload-id-marker') ?? '';
    const maxUploads = Math.min(1000, Number(t.query.get('max-uploads') ?? 1000));
    let all = (await listOpenUploads(t.bucket)).filter((u) => u.key.startsWith(prefix));
    if (keyMarker) {
      const at = all.findIndex((u) => u.key === keyMarker && u.uploadId === idMarker);
      all = idMarker && at >= 0 ? all.slice(at + 1) : all.filter((u) => u.key > keyMarker);
    }
    const page = all.slice(0, maxUploads);
    const truncated = all.length > page.length;
    const last = page[page.length - 1];
    const owner = el('ID', configOf(t.bucket).owner);
    return xmlReply(el('ListMultipartUploadsResult', [el('Bucket', t.bucket), el('KeyMarker', enc(keyMarker)),
      el('UploadIdMarker', idMarker), el('NextKeyMarker', truncated ? enc(last.key) : undefined),
      el('NextUploadIdMarker', truncated ? last.uploadId : undefined), el('Prefix', enc(prefix)),
      el('MaxUploads', maxUploads), el('IsTruncated', truncated),
      urlEncode ? el('EncodingType', 'url') : '',
      ...page.map((u) => el('Upload', [el('Key', enc(u.key)), el('UploadId', u.uploadId), el('Initiator', [owner]),
        el('Owner', [owner]), el('StorageClass', 'STANDARD'), el('Initiated', u.initiated)]))],
    ` xmlns="${S3_XMLNS}"`));
  }

  // ListObjects (V1) and ListObjectsV2 over s3rver's store, in key order, with delimiter grouping and pagination
  // where a common prefix counts as one entry.
  async function listObjects(t) {
    const v2 = t.query.get('list-type') === '2';
    const urlEncode = t.query.get('encoding-type') === 'url';
    const enc = (s) => (urlEncode ? uriEncode(s, true) : s);
    const prefix = t.query.get('prefix') ?? '';
    const delimiter = t.query.get('delimiter') ?? '';
    const maxKeysText = t.query.get('max-keys') ?? '1000';
    if (!/^\d+$/.test(maxKeysText)) {
      throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range',
        { ArgumentName: 'max-keys', ArgumentValue: maxKeysText });
    }
    const maxKeys = Math.min(1000, Number(maxKeysText));
    let after = '';
    const token = t.query.get('continuation-token');
    if (v2 && token !== undefined) {
      try {
        after = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).after;
        if (typeof after !== 'string') throw new Error('bad token');
      } catch {
        throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect',
          { ArgumentName: 'continuation-token' });
      }
    } else if (v2) {
      after = t.query.get('start-after') ?? '';
    } else {
      after = t.query.get('marker') ?? '';
    }
    const { objects } = await store.listObjects(t.bucket, { prefix });
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const entries = [];
    const seenPrefixes = new Set();
    for (const o of objects) {
      if (!o.key.startsWith(prefix)) continue;
      const i = delimiter ? o.key.indexOf(delimiter, prefix.length) : -1;
      if (i >= 0) {
        const p = o.key.slice(0, i + delimiter.length);
        if (!seenPrefixes.has(p)) {
          seenPrefixes.add(p);
          entries.push({ sortKey: p, prefix: p });
        }
      } else {
        entries.push({ sortKey: o.key, object: o });
      }
    }
    const remaining = entries.filter((e) => e.sortKey > after);
    const page = maxKeys === 0 ? [] : remaining.slice(0, maxKeys);
    const truncated = remaining.length > page.length && maxKeys > 0;
    const last = page[page.length - 1];
    const fetchOwner = !v2 || t.query.get('fetch-owner') === 'true';
    const owner = el('Owner', [el('ID', configOf(t.bucket).owner)]);
    const contents = page.filter((e) => e.object).map(({ object: o }) => el('Contents', [el('Key', enc(o.key)),
      el('LastModified', o.lastModifiedDate.toISOString()), el('ETag', o.metadata.etag), el('Size', o.size),
      fetchOwner ? owner : '', el('StorageClass', o.metadata['x-amz-storage-class'] ?? 'STANDARD')]));
    const prefixes = page.filter((e) => e.prefix !== undefined)
      .map((e) => el('CommonPrefixes', [el('Prefix', enc(e.prefix))]));
    const head = [el('Name', t.bucket), el('Prefix', enc(prefix)), delimiter ? el('Delimiter', enc(delimiter)) : ''];
    const paging = v2
      ? [el('KeyCount', page.length), el('MaxKeys', maxKeys), el('IsTruncated', truncated),
        token !== undefined ? el('ContinuationToken', token) : '',
        truncated ? el('NextContinuationToken', Buffer.from(JSON.stringify({ after: last.sortKey })).toString('base64url'))
          : '',
        t.query.has('start-after') ? el('StartAfter', enc(t.query.get('start-after'))) : '']
      : [el('Marker', enc(after)), truncated && delimiter ? el('NextMarker', enc(last.sortKey)) : '',
        el('MaxKeys', maxKeys), el('IsTruncated', truncated)];
    return xmlReply(el('ListBucketResult', [...head, ...paging, urlEncode ? el('EncodingType', 'url') : '',
      ...contents, ...prefixes], ` xmlns="${S3_XMLNS}"`));
  }

  async function putObjectTagging(t, body) {
    if (!(await objectExists(t.bucket, t.key))) throw noSuchKey(t.key);
    const pairs = checkTags(parseTaggingXml(body.toString('utf8')));
    await mergeMetadata(t.bucket, t.key, { 'x-amz-tagging': encodeTags(pairs) });
    return { status: 200, headers: {}, body: '' };
  }

  async function getObjectTagging(t) {
    if (!(await objectExists(t.bucket, t.key))) throw noSuchKey(t.key);
    const meta = (await readJson(metadataPath(t.bucket, t.key))) ?? {};
    const pairs = [...new URLSearchParams(meta['x-amz-tagging'] ?? '')];
    return xmlReply(el('Tagging', [el('TagSet', pairs.map(([k, v]) => el('Tag', [el('Key', k), el('Value', v)])))],
      ` xmlns="${S3_XMLNS}"`));
  }

  async function deleteObjectTagging(t) {
    if (!(await objectExists(t.bucket, t.key))) throw noSuchKey(t.key);
    await mergeMetadata(t.bucket, t.key, { 'x-amz-tagging': undefined });
    return { status: 204, headers: {}, body: '' };
  }

  function noSuchKey(key) {
    return new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }

  // Everything else goes to s3rver, path-style and unauthenticated; `extraHeaders(status)` adds to its answer.
  function forward(req, res, t, body, extraHeaders) {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      for (const h of ['authorization', 'expect', 'transfer-encoding', 'connection', 'keep-alive']) delete headers[h];
      headers.host = `127.0.0.1:${backendAddress.port}`;
      headers['content-length'] = String(body.length);
      const path = t.vhost ? `/${uriEncode(t.bucket)}${t.rawPath}` : t.rawPath;
      const up = http.request({ host: '127.0.0.1', port: backendAddress.port, method: req.method,
        path: path + (t.rawQuery ? `?${t.rawQuery}` : ''), headers, agent: backendAgent }, async (upRes) => {
        try {
          const out = { ...upRes.headers };
          delete out.connection;
          delete out['keep-alive'];
          delete out.date;  // s3rver's clock is the machine's: the Date set in handle() stays
          Object.assign(out, await extraHeaders(upRes.statusCode));
          res.writeHead(upRes.statusCode, out);
          upRes.pipe(res);
          upRes.on('end', resolve);
          upRes.on('error', reject);
        } catch (err) {
          upRes.resume();
          reject(err);
        }
      });
      up.on('error', reject);
      up.end(body);
    });
  }

  async function dispatch(req, res, t, headers, body) {
    const m = req.method;
    const q = t.query;
    if (!t.bucket) return 'forward';
    if (t.key === undefined) {
      const cfg = configOf(t.bucket);
      if (m === 'HEAD') return { status: 200, headers: { 'x-amz-bucket-region': cfg.region }, body: '' };
      if (m === 'GET' && q.has('location')) {
        // Like S3: us-east-1 buckets answer an empty LocationConstraint.
        return xmlReply(`<LocationConstraint xmlns="${S3_XMLNS}">` +
          `${cfg.region === 'us-east-1' ? '' : cfg.region}</LocationConstraint>`);
      }
      if (m === 'GET' && q.has('versioning')) {
        return xmlReply(cfg.versioning ? el('VersioningConfiguration', [el('Status', cfg.versioning)],
          ` xmlns="${S3_XMLNS}"`) : `<VersioningConfiguration xmlns="${S3_XMLNS}"/>`);
      }
      if (m === 'PUT' && q.has('versioning')) {
        const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(body.toString('utf8'));
        if (!status) throw new S3Error('MalformedXML', 'VersioningConfiguration needs <Status>Enabled|Suspended');
        bucketConfig.set(t.bucket, { ...cfg, versioning: status[1] });
        return { status: 200, headers: {}, body: '' };
      }
      if (m === 'GET' && q.has('uploads')) return listMultipartUploads(t);
      if (m === 'POST' && q.has('delete')) return deleteObjects(t, body);
      if (m === 'GET' && ['location', 'versioning', 'uploads', 'tagging', 'acl', 'cors', 'website', 'policy',
        'lifecycle', 'encryption'].every((p) => !q.has(p))) return listObjects(t);
      return 'forward';
    }
    if (m === 'PUT') {
      if (q.has('uploadId')) {
        if (headers['x-amz-copy-source'] !== undefined) throw new S3Error('NotImplemented', 'UploadPartCopy is not ' +
          'supported by the test server');
        return uploadPart(t, body);
      }
      if (q.has('tagging')) return putObjectTagging(t, body);
      if (headers['x-amz-copy-source'] !== undefined) return 'forward';
      if (q.size === 0) return putObject(t, headers, body);
      return 'forward';
    }
    if (m === 'POST') {
      if (q.has('uploads')) return createMultipartUpload(t, headers);
      if (q.has('uploadId')) return completeMultipartUpload(t, body);
      return 'forward';
    }
    if (m === 'DELETE') {
      if (q.has('uploadId')) return abortMultipartUpload(t);
      if (q.has('tagging')) return deleteObjectTagging(t);
      if (q.size === 0) {
        await removeObject(t.bucket, t.key);
        return { status: 204, headers: {}, body: '' };
      }
      return 'forward';
    }
    if (m === 'GET' && q.has('uploadId')) return listPartsReply(t);
    if (m === 'GET' && q.has('tagging')) return getObjectTagging(t);
    return 'forward';
  }

  // Test-only endpoints (no auth; bucket names cannot start with '_'): /_pgs3/meta?bucket=&key=, /_pgs3/uploads?bucket=
  async function admin(t) {
    const bucket = t.query.get('bucket');
    if (t.rawPath === '/_pgs3/meta') return { status: 200, json: (await headObjectMeta(bucket, t.query.get('key'))) ?? null };
    if (t.rawPath === '/_pgs3/uploads') return { status: 200, json: await listOpenUploads(bucket) };
    return { status: 404, json: { error: 'unknown test endpoint' } };
  }

  async function handle(req, res) {
    const requestId = newRequestId();
    const t = parseTarget(req);
    t.host = req.headers.host;
    const entry = { time: new Date().toISOString(), method: req.method, bucket: t.bucket, key: t.key,
      query: t.rawQuery, actions: [], status: 0, code: undefined, accessKeyId: undefined };
    if (requestLog.length < REQUEST_LOG_LIMIT) requestLog.push(entry);
    res.on('finish', () => { entry.status = res.statusCode; });
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    // Every answer's Date is the server's clock (HTTP's own Date header would be the machine's).
    res.setHeader('date', new Date(serverNow()).toUTCString());
    let body;
    try {
      body = await readBody(req);
      if (t.rawPath.startsWith('/_pgs3/')) {
        const r = await admin(t);
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.json));
        return;
      }
      const headers = req.headers;
      const { accessKeyId, payloadHash } = verifyRequest(
        { method: req.method, rawPath: t.rawPath, rawQuery: t.rawQuery, rawHeaders: req.rawHeaders },
        { lookup: (id) => keys.get(id), region: t.bucket ? configOf(t.bucket).region : region, now: serverNow() });
      entry.accessKeyId = accessKeyId;
      verifyPayload(body, payloadHash, headers['content-md5']);
      entry.actions = actionsOf(req.method, t, headers);
      const deniedAction = entry.actions.find((a) => denied.some((d) => globMatch(d, a)));
      if (deniedAction) throw new S3Error('AccessDenied', `Access Denied (the test server's policy denies ${deniedAction})`);
      const creating = req.method === 'PUT' && t.key === undefined && t.query.size === 0;
      if (t.bucket && !creating && !(await store.getBucket(t.bucket))) {
        throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: t.bucket });
      }
      const expectedOwner = headers['x-amz-expected-bucket-owner'];
      if (t.bucket && expectedOwner !== undefined && expectedOwner !== configOf(t.bucket).owner) {
        throw new S3Error('AccessDenied', 'Access Denied');
      }
      const result = await dispatch(req, res, t, headers, body);
      if (result === 'forward') {
        const isObjectRead = t.key !== undefined && (req.method === 'GET' || req.method === 'HEAD') && t.query.size === 0;
        // One at a time with the key's writes: s3rver answers a read from the object's metadata and data files, which
        // a write replaces one after the other, so a read between them announced the old Content-Length over the new
        // data and the client waited for the missing bytes until its read timeout.
        const forwarded = () => forward(req, res, t, body, async (status) => {
          if (status >= 300) return {};
          if (creating) {
            if (!bucketConfig.has(t.bucket)) configureBucket({ name: t.bucket });
            return {};
          }
          if (req.method === 'DELETE' && t.key === undefined) bucketConfig.delete(t.bucket);
          if (req.method === 'PUT' && t.key !== undefined && headers['x-amz-copy-source'] !== undefined &&
            headers['x-amz-metadata-directive'] === 'REPLACE') {
            await mergeMetadata(t.bucket, t.key, extrasFromHeaders(headers));
          }
          if (!isObjectRead) return {};
          const meta = (await readJson(metadataPath(t.bucket, t.key))) ?? {};
          const tagCount = [...new URLSearchParams(meta['x-amz-tagging'] ?? '')].length;
          return { ...sseResponseHeaders(meta), ...(req.method === 'GET' && tagCount ? { 'x-amz-tagging-count':
            String(tagCount) } : {}) };
        });
        await (t.key !== undefined ? serialized(t.bucket, t.key, forwarded) : forwarded());
        return;
      }
      res.writeHead(result.status, { ...result.headers, 'content-length': Buffer.byteLength(result.body) });
      res.end(req.method === 'HEAD' ? undefined : result.body);
    } catch (err) {
      const e = err instanceof S3Error ? err
        : err && typeof err.code === 'string' && err.status ? Object.assign(new S3Error(err.code, err.message,
          err.detail ?? {}), { status: err.status })
          : new S3Error('InternalError', `test server error: ${err?.stack ?? err}`);
      entry.code = e.code;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const doc = errorDocument(e, { resource: t.rawPath, requestId });
      res.writeHead(e.status, { 'content-type': 'application/xml', ...e.headers,
        'content-length': req.method === 'HEAD' ? 0 : Buffer.byteLength(doc) });
      res.end(req.method === 'HEAD' ? undefined : doc);
    }
  }

  // tls: { key, cert } (PEM) serves HTTPS instead of HTTP.
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => { handle(req, res); })
    : http.createServer((req, res) => { handle(req, res); });
  const scheme = tls ? 'https' : 'http';
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const boundPort = server.address().port;
  let stopped = false;

  return {
    endpoint: `${scheme}://127.0.0.1:${boundPort}`,
    // Virtual-hosted-style endpoint for a bucket (libcurl and the AWS CLI resolve *.localhost to 127.0.0.1).
    bucketEndpoint: (bucket) => `${scheme}://${bucket}.localhost:${boundPort}`,
    port: boundPort,
    region,
    dataDir: root,
    requestLog,
    conditionalRefusals,
    listOpenUploads,
    headObjectMeta,
    setDenyActions(list) { denied = [...list]; },
    setClockOffset(ms) { clockOffset = ms; },
    setBucketVersioning(bucket, status) { bucketConfig.set(bucket, { ...configOf(bucket), versioning: status }); },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      backendAgent.destroy();
      backend.httpServer.closeAllConnections();
      await backend.close();
      if (ownDataDir) rmSync(root, { recursive: true, force: true });
    },
  };
}
