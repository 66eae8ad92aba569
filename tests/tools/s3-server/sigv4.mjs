// Server-side verification of AWS Signature Version 4 (header-based `Authorization: AWS4-HMAC-SHA256 ...`) for the
// S3 test server, written from the public specification ("Signature Calculations for the Authorization Header",
// Amazon S3 API reference, sigv4-header-based-auth.html): it recomputes the signature from the request exactly as
// received and reports the S3 error a real bucket would answer with. Presigned (query-string) auth is not supported.
//
// S3 specifics kept here on purpose (they differ from other AWS services): the canonical URI is the path as sent,
// neither normalized nor encoded twice; the payload hash is the `x-amz-content-sha256` header, which is required.
import { createHash, createHmac } from 'node:crypto';

import { S3Error } from './xml.mjs';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
// S3 answers RequestTimeTooSkewed beyond 15 minutes.
export const MAX_SKEW_MS = 15 * 60 * 1000;
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

// S3's UriEncode: every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ as %XY (upper-case hex).
export function uriEncode(text, keepSlash = false) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// Percent-decoding that never throws (a lone '%' stays as it is).
export function uriDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return unescape(text);
  }
}

// The canonical query string: every parameter of the raw query decoded, re-encoded with UriEncode, sorted by name
// then value; a parameter without '=' has the empty value.
export function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const pairs = rawQuery.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(uriDecode(name)), uriEncode(uriDecode(value))];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

// Header values by lower-case name from Node's rawHeaders, repeated headers joined with ',' as SigV4 requires, each
// value trimmed with runs of spaces collapsed to one.
export function headerValues(rawHeaders) {
  const values = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = String(rawHeaders[i + 1]).trim().replace(/ +/g, ' ');
    values.set(name, values.has(name) ? `${values.get(name)},${value}` : value);
  }
  return values;
}

// Parses `AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
export function parseAuthorization(value) {
  if (!value.startsWith(`${ALGORITHM} `)) return null;
  const fields = {};
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) return null;
  const scope = fields.Credential.split('/');
  if (scope.length !== 5) return null;
  const [accessKeyId, date, region, service, terminator] = scope;
  return {
    accessKeyId, date, region, service, terminator,
    scope: scope.slice(1).join('/'),
    signedHeaders: fields.SignedHeaders.split(';'),
    signedHeadersText: fields.SignedHeaders,
    signature: fields.Signature,
  };
}

export function signingKey(secretAccessKey, date, region, service) {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

// 20240101T000000Z → Date, or null.
export function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text || '');
  if (!m) return null;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? null : new Date(t);
}

function amzDateOf(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// Verifies the request's signature. `request` = { method, rawPath, rawQuery, rawHeaders }; `lookup(accessKeyId)` →
// { secretAccessKey, sessionToken? } or undefined; `regionFor` = the region the addressed bucket lives in. Returns
// { accessKeyId, payloadHash } or throws S3Error. The body is checked against the payload hash by the caller
// (verifyPayload) once it has been read.
export function verifyRequest(request, { lookup, region, now = Date.now() }) {
  const headers = headerValues(request.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined) {
    if (/(^|&)X-Amz-Algorithm=/i.test(request.rawQuery || '')) {
      throw new S3Error('NotImplemented', 'Query-string (presigned) authentication is not supported by the test server');
    }
    throw new S3Error('AccessDenied', 'Access Denied');
  }
  if (authorization.startsWith('AWS ')) {
    throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. ' +
      'Please use AWS4-HMAC-SHA256.');
  }
  const auth = parseAuthorization(authorization);
  if (!auth) {
    throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; it must be ' +
      `"${ALGORITHM} Credential=AK/DATE/REGION/s3/aws4_request, SignedHeaders=..., Signature=..."`);
  }
  const credential = lookup(auth.accessKeyId);
  if (!credential) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: auth.accessKeyId });
  }
  if (auth.region !== region) {
    throw new S3Error('AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${region}'`,
      { Region: region }, { 'x-amz-bucket-region': region });
  }
  if (auth.service !== 's3' || auth.terminator !== 'aws4_request') {
    throw new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service ` +
      `'${auth.service}' or terminator '${auth.terminator}': expecting 's3' and 'aws4_request'`);
  }
  const amzDateText = headers.get('x-amz-date');
  const amzDate = parseAmzDate(amzDateText);
  if (!amzDate) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid x-amz-date header (yyyyMMddTHHmmssZ)');
  }
  if (amzDateText.slice(0, 8) !== auth.date) {
    throw new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; Invalid credential ` +
      `date "${auth.date}". Date is not the same as X-Amz-Date: "${amzDateText.slice(0, 8)}".`);
  }
  if (Math.abs(amzDate.getTime() - now) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      { RequestTime: amzDateText, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: MAX_SKEW_MS });
  }
  const payloadHash = headers.get('x-amz-content-sha256');
  if (payloadHash === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (payloadHash.startsWith('STREAMING-')) {
    throw new S3Error('NotImplemented', `x-amz-content-sha256 ${payloadHash} (aws-chunked) is not supported by the ` +
      'test server');
  }
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash });
  }
  // S3 requires host and every x-amz-* header sent to be signed.
  const signed = new Set(auth.signedHeaders);
  const unsigned = [...headers.keys()].filter((h) => (h === 'host' || h.startsWith('x-amz-')) && !signed.has(h));
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed',
      { HeadersNotSigned: unsigned.join(', ') });
  }

  const canonicalRequest = [
    request.method,
    request.rawPath || '/',
    canonicalQuery(request.rawQuery),
    auth.signedHeaders.map((h) => `${h}:${headers.get(h) ?? ''}\n`).join(''),
    auth.signedHeadersText,
    payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, amzDateText, auth.scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(credential.secretAccessKey, auth.date, auth.region, auth.service))
    .update(stringToSign).digest('hex');
  if (expected !== auth.signature) {
    // Like S3, the error carries what the server signed (never the key) so that a signer bug can be found.
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature ' +
      'you provided. Check your key and signing method.', {
      AWSAccessKeyId: auth.accessKeyId, StringToSign: stringToSign, SignatureProvided: auth.signature,
      CanonicalRequest: canonicalRequest,
    });
  }
  if (credential.sessionToken !== undefined) {
    const token = headers.get('x-amz-security-token');
    if (token === undefined) {
      throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records ' +
        '(temporary credentials need x-amz-security-token).', { AWSAccessKeyId: auth.accessKeyId });
    }
    if (token !== credential.sessionToken) {
      throw new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
  }
  return { accessKeyId: auth.accessKeyId, payloadHash };
}

// Checks the body against x-amz-content-sha256 (unless UNSIGNED-PAYLOAD) and Content-MD5 when sent.
export function verifyPayload(body, payloadHash, contentMd5) {
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    const actual = sha256Hex(body);
    if (actual !== payloadHash) {
      throw new S3Error('XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        { ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: actual });
    }
  }
  if (contentMd5 !== undefined) {
    const actual = createHash('md5').update(body).digest('base64');
    if (actual !== contentMd5) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.',
        { ExpectedDigest: contentMd5, CalculatedDigest: actual });
    }
  }
}

// Signs a request the way a client would (used by the self-test to make requests the AWS CLI cannot, e.g. a part
// of an upload that was aborted, or a bad payload hash). Returns the headers to send.
export function signRequest({ method, url, headers = {}, body = Buffer.alloc(0), accessKeyId, secretAccessKey,
  sessionToken, region, date = new Date(), payloadHash }) {
  const u = new URL(url);
  const amzDate = amzDateOf(date);
  const out = { ...headers, host: u.host, 'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash ?? sha256Hex(body) };
  if (sessionToken) out['x-amz-security-token'] = sessionToken;
  const names = Object.keys(out).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(out).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const scope = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const canonicalRequest = [method, u.pathname, canonicalQuery(u.search.slice(1)),
    names.map((h) => `${h}:${lower[h]}\n`).join(''), names.join(';'), lower['x-amz-content-sha256']].join('\n');
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(secretAccessKey, amzDate.slice(0, 8), region, 's3'))
    .update(stringToSign).digest('hex');
  out.authorization = `${ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, ` +
    `Signature=${signature}`;
  return out;
}
