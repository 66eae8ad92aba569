// XML in and out for the S3 test server: S3's error documents, a small element builder, and a reader for the
// flat request documents S3 accepts (Tagging, CompleteMultipartUpload) — nothing more general is needed.
import { randomBytes } from 'node:crypto';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

// HTTP status of each S3 error code the server emits (Amazon S3 API reference, "Error responses").
const STATUS = {
  AccessDenied: 403, AuthorizationHeaderMalformed: 400, BadDigest: 400, BadRequest: 400,
  ConditionalRequestConflict: 409, EntityTooSmall: 400, InternalError: 500, InvalidAccessKeyId: 403,
  InvalidArgument: 400, InvalidBucketName: 400, InvalidPart: 400, InvalidPartOrder: 400, InvalidRequest: 400,
  InvalidTag: 400, InvalidToken: 400, MalformedXML: 400, MethodNotAllowed: 405, NoSuchBucket: 404, NoSuchKey: 404,
  NoSuchUpload: 404, NotImplemented: 501, PreconditionFailed: 412, RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403, SlowDown: 503, XAmzContentSHA256Mismatch: 400,
};

// An S3 error: code, message, extra elements for the <Error> document, extra response headers.
export class S3Error extends Error {
  constructor(code, message, detail = {}, headers = {}) {
    super(message);
    this.code = code;
    this.status = STATUS[code] ?? 400;
    this.detail = detail;
    this.headers = headers;
  }
}

export function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
    "'": '&apos;' })[c]);
}

export function unescapeXml(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e];
  });
}

// el('Key', 'a&b') → '<Key>a&amp;b</Key>'; children given as an array are concatenated; undefined/null is omitted.
export function el(name, content, attrs = '') {
  if (content === undefined || content === null) return '';
  const inner = Array.isArray(content) ? content.join('') : escapeXml(content);
  return `<${name}${attrs}>${inner}</${name}>`;
}

export function xmlDocument(body) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

export function newRequestId() {
  return randomBytes(8).toString('hex').toUpperCase();
}

export function errorDocument(err, { resource, requestId }) {
  const extra = Object.entries(err.detail).map(([k, v]) => el(k, v));
  return xmlDocument(el('Error', [el('Code', err.code), el('Message', err.message), ...extra,
    el('Resource', resource), el('RequestId', requestId), el('HostId', requestId)]));
}

// The text of every <name>...</name> directly in `xml` (no nesting of the same name is expected), unescaped.
export function elements(xml, name) {
  const out = [];
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>|<${name}(?:\\s[^>]*)?/>`, 'g');
  for (let m; (m = re.exec(xml));) out.push(m[1] ?? '');
  return out;
}

export function firstText(xml, name) {
  const [v] = elements(xml, name);
  return v === undefined ? undefined : unescapeXml(v);
}

// <Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>...</TagSet></Tagging> → [[k, v], ...].
export function parseTaggingXml(xml) {
  if (!/<Tagging[\s>]/.test(xml) || !/<TagSet[\s/>]/.test(xml)) {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our ' +
      'published schema.');
  }
  return elements(xml, 'Tag').map((tag) => {
    const key = firstText(tag, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML', 'A <Tag> has no <Key>');
    return [key, firstText(tag, 'Value') ?? ''];
  });
}

// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>… → [{ number, etag }].
export function parseCompleteXml(xml) {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our ' +
      'published schema.');
  }
  return elements(xml, 'Part').map((part) => {
    const number = firstText(part, 'PartNumber');
    const etag = firstText(part, 'ETag');
    if (number === undefined || etag === undefined || !/^\d+$/.test(number.trim())) {
      throw new S3Error('MalformedXML', 'Each <Part> needs a <PartNumber> and an <ETag>');
    }
    return { number: Number(number.trim()), etag: etag.trim().replace(/"/g, '') };
  });
}
