#!/usr/bin/python3
"""Checks pgs3's SigV4 signer against botocore's S3SigV4Auth on a table of tricky S3 requests.

    /usr/bin/python3 tests/tools/sigv4_oracle.py PATH/TO/pgs3_sigv4_cases

For every case, botocore (Debian's python3-botocore) signs the request with its clock frozen at 20261130T101500Z, and
pgs3_sigv4_cases signs the same request (JSON on stdin) with pgs3::sign_v4. The canonical request, the string to sign,
the signature and the signing headers must agree. Both sides encode the object key on their own: botocore's
percent_encode(key, safe='/~') as its REST serializer does for S3 keys, pgs3's s3_uri_encode(key, false); the query
goes to botocore as raw (name, value) pairs, which it encodes and sorts itself. Exit status 0 when every case agrees,
1 on any mismatch (with a side-by-side diff of the canonical requests), 2 when the harness itself fails.

botocore quirk kept out of the table on purpose: when a request carries a Date header, botocore rewrites Date and
drops X-Amz-Date, whereas pgs3 (like the S3 API Reference's PUT Object example) signs x-amz-date and never sends Date.
"""

import calendar
import datetime
import hashlib
import json
import subprocess
import sys
import types
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

FROZEN = datetime.datetime(2026, 11, 30, 10, 15, 0)
FROZEN_AMZ_DATE = '20261130T101500Z'
ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE'
SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
SESSION_TOKEN = ('IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQDx+token/with+slashes/and=equals'
                 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==')
CONTINUATION = '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+/='
XML_BODY = '<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Object><Key>Sales Data/é.csv</Key></Object></Delete>'


def case(name, method, endpoint, bucket, key, addressing='path', query=(), headers=(), body='', unsigned=False,
         token=False, region='us-east-1'):
    return dict(name=name, method=method, endpoint=endpoint, bucket=bucket, key=key, addressing=addressing,
                query=list(query), headers=list(headers), body=body, unsigned=unsigned, token=token, region=region)


LOCAL = 'http://127.0.0.1:9000'
AWS = 'https://s3.eu-west-1.amazonaws.com'
VHOST = 'https://my-bucket.s3.eu-west-1.amazonaws.com'
PREFIX = 'raw/app/public/'

CASES = [
    case('plain key, path-style, local port', 'GET', LOCAL, 'lake', 'raw/app/LOAD00000001.csv'),
    case('spaces in schema and table names', 'PUT', LOCAL, 'lake',
         'raw/app/Sales Data/Order Items/LOAD00000001.parquet',
         headers=[('Content-Type', 'application/octet-stream')], body='PAR1 some bytes PAR1'),
    case('plus and equals in key', 'PUT', AWS, 'lake', PREFIX + 'a+b=c/x=1+2.csv', region='eu-west-1',
         body='id,name\n1,a\n'),
    case('percent in key is encoded again', 'GET', LOCAL, 'lake', PREFIX + '100%/already%2Fencoded%20.csv'),
    case('tilde star bang quote parens', 'GET', LOCAL, 'lake', PREFIX + "t~ilde*star!bang'quote(paren).txt"),
    case('latin accents', 'PUT', LOCAL, 'lake', 'café/données/élève.csv', body='é,ü\n'),
    case('japanese', 'GET', AWS, 'lake', '日本/東京/LOAD00000001.parquet', region='eu-west-1'),
    case('emoji', 'PUT', VHOST, 'my-bucket', 'emoji/\U0001F600\U0001F680.csv', addressing='virtual',
         region='eu-west-1', unsigned=True, body='x'),
    case('double slashes kept', 'GET', LOCAL, 'lake', 'a//b///c.csv'),
    case('trailing slash', 'PUT', LOCAL, 'lake', 'folder/sub/', body=''),
    case('dot segments not normalized', 'GET', LOCAL, 'lake', './a/../b/./c/..'),
    case('quoted schema and table', 'PUT', LOCAL, 'lake', 'raw/"Sales Data"/"Order Items"/LOAD00000001.parquet',
         body='PAR1'),
    case('url delimiters in key', 'GET', LOCAL, 'lake', 'q?a=1&b#frag;semi:colon@at,comma$dollar[1]{2}|^`<>\\'),
    case('control bytes in key', 'GET', LOCAL, 'lake', 'ctrl\x01\x1f\x7fkey\ttab'),
    case('create multipart upload with SSE-KMS', 'POST', LOCAL, 'lake', PREFIX + 'Sales Data/LOAD00000002.parquet',
         query=[('uploads', '')],
         headers=[('Content-Type', 'application/vnd.apache.parquet'), ('x-amz-server-side-encryption', 'aws:kms'),
                  ('x-amz-server-side-encryption-aws-kms-key-id',
                   'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')]),
    case('upload part, unsigned payload', 'PUT', AWS, 'lake', PREFIX + 'Sales Data/LOAD00000002.parquet',
         query=[('uploadId', 'VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--+/='), ('partNumber', '3')],
         unsigned=True, body='part three bytes', region='eu-west-1'),
    case('complete multipart upload', 'POST', LOCAL, 'lake', PREFIX + 'Sales Data/LOAD00000002.parquet',
         query=[('uploadId', 'abc.def_ghi~jkl')], headers=[('Content-Type', 'application/xml')],
         body='<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag></Part>'
              '</CompleteMultipartUpload>'),
    case('abort multipart upload', 'DELETE', LOCAL, 'lake', PREFIX + 'x.parquet', query=[('uploadId', 'a b+c')]),
    case('list v2 with continuation token', 'GET', LOCAL, 'lake', None,
         query=[('list-type', '2'), ('prefix', 'a b/Sales Data/'), ('continuation-token', CONTINUATION),
                ('delimiter', '/'), ('max-keys', '1000')]),
    case('list v2 virtual-hosted, unicode prefix', 'GET', VHOST, 'my-bucket', None, addressing='virtual',
         query=[('list-type', '2'), ('prefix', 'données/日本 /'), ('start-after', 'données/a~b*c'),
                ('encoding-type', 'url')], region='eu-west-1'),
    case('put object tagging', 'PUT', LOCAL, 'lake', PREFIX + 'k.csv', query=[('tagging', '')],
         headers=[('Content-Type', 'application/xml')],
         body='<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>'),
    case('delete objects with Content-MD5', 'POST', LOCAL, 'lake', None, query=[('delete', '')],
         headers=[('Content-MD5', 'q2hp0w4nQ5o0wWZ1yq1Tng=='), ('Content-Type', 'application/xml')], body=XML_BODY),
    case('x-amz-tagging with & and =', 'PUT', LOCAL, 'lake', PREFIX + 'tagged.csv',
         headers=[('x-amz-tagging', 'project=a&b&owner=x=y&note=a%20b'), ('x-amz-storage-class', 'STANDARD_IA')],
         body='1\n'),
    case('session token', 'GET', AWS, 'lake', PREFIX + 'k.csv', token=True, region='eu-west-1'),
    case('session token, HEAD, virtual-hosted on a custom port', 'HEAD', 'https://my-bucket.minio.internal:8443',
         'my-bucket', 'Sales Data/k.csv', addressing='virtual', token=True),
    case('header white space trimmed and collapsed', 'PUT', LOCAL, 'lake', PREFIX + 'meta.csv',
         headers=[('x-amz-meta-note', '  lots   of   spaces\tand  \t tab  '), ('Content-Type', ' text/csv ;  charset=utf-8')],
         body='a'),
    case('mixed-case header names', 'PUT', LOCAL, 'lake', PREFIX + 'meta2.csv',
         headers=[('X-Amz-Meta-Pgs3-Position', '0/16B3748'), ('x-AMZ-meta-pgs3-task', 'orders'),
                  ('Content-Type', 'text/csv'), ('Cache-Control', 'no-cache')], body='b'),
    case('repeated header', 'PUT', LOCAL, 'lake', PREFIX + 'dup.csv',
         headers=[('x-amz-meta-dup', 'second'), ('X-Amz-Meta-Dup', 'first')], body='c'),
    case('query values with reserved characters', 'GET', LOCAL, 'lake', PREFIX + 'k.csv',
         query=[('response-content-disposition', 'attachment; filename="a b*.csv"'),
                ('response-content-type', 'text/csv; charset=utf-8'), ('versionId', 'v~1.2_3-4')]),
    case('repeated query names sorted by value', 'GET', LOCAL, 'lake', None,
         query=[('x-id', 'b'), ('x-id', 'a'), ('x-id', '~'), ('x-id', 'é'), ('empty', '')]),
    case('list object versions', 'GET', LOCAL, 'lake', None,
         query=[('versions', ''), ('prefix', '100%/'), ('key-marker', 'a+b'), ('version-id-marker', 'null')]),
    case('copy object', 'PUT', LOCAL, 'lake', PREFIX + 'copy é.csv',
         headers=[('x-amz-copy-source', '/lake/raw/app/Sales%20Data/k%C3%A9y.parquet'),
                  ('x-amz-metadata-directive', 'REPLACE')]),
    case('IPv6 endpoint', 'GET', 'http://[::1]:9000', 'lake', 'k.csv'),
    case('zero-length object', 'PUT', LOCAL, 'lake', PREFIX + '_pgs3/task/checkpoint.json', body=''),
    case('other region, path-style on AWS', 'GET', 'https://s3.ap-northeast-1.amazonaws.com', 'lake',
         '日本 語/k.csv', region='ap-northeast-1', query=[('partNumber', '1')]),
]


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return cls(FROZEN.year, FROZEN.month, FROZEN.day, FROZEN.hour, FROZEN.minute, FROZEN.second)


def host_header(endpoint):
    scheme, rest = endpoint.split('://', 1)
    host = rest.lower()
    for default in (':80',) if scheme == 'http' else (':443',):
        if host.endswith(default):
            host = host[: -len(default)]
    return host


def encoded_path(c):
    path = '/' + percent_encode(c['bucket'], safe='') if c['addressing'] == 'path' else ''
    if c['key'] is None:
        return path or '/'
    return path + '/' + percent_encode(c['key'], safe='/~')


def botocore_sign(c):
    url = c['endpoint'] + encoded_path(c)
    request = AWSRequest(method=c['method'], url=url, data=c['body'].encode('utf-8'), params=list(c['query']))
    for name, value in c['headers']:
        request.headers[name] = value  # HTTPHeaders appends, so a repeated name stays repeated
    request.context['client_config'] = types.SimpleNamespace(s3={'payload_signing_enabled': not c['unsigned']})
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN if c['token'] else None)
    auth = botocore.auth.S3SigV4Auth(credentials, 's3', c['region'])
    seen = {}

    def record(method_name):
        original = getattr(auth, method_name)

        def wrapper(*args):
            seen[method_name] = original(*args)
            return seen[method_name]
        setattr(auth, method_name, wrapper)

    # The values add_auth computes and signs, recorded as it goes (computing them again afterwards would see the
    # Authorization header it has added).
    for method_name in ('canonical_request', 'string_to_sign', 'signature'):
        record(method_name)
    with mock.patch.object(botocore.auth, 'datetime', types.SimpleNamespace(datetime=_FrozenDatetime)):
        auth.add_auth(request)
    sent = {}
    for name, value in request.headers.items():
        lname = name.lower()
        sent[lname] = sent[lname] + ',' + value if lname in sent else value
    sent['host'] = botocore.auth._host_from_url(url)
    return dict(canonical_request=seen['canonical_request'], string_to_sign=seen['string_to_sign'],
                signature=seen['signature'], headers=sent, path=urlsplit(url).path)


def pgs3_sign(program, c):
    request = dict(method=c['method'], host=host_header(c['endpoint']), bucket=c['bucket'], key=c['key'],
                   addressing=c['addressing'], query=[list(q) for q in c['query']],
                   headers=[list(h) for h in c['headers']], body=c['body'], unsigned_payload=c['unsigned'],
                   access_key=ACCESS_KEY, secret_key=SECRET_KEY, session_token=SESSION_TOKEN if c['token'] else '',
                   region=c['region'], service='s3', epoch_seconds=calendar.timegm(FROZEN.timetuple()))
    done = subprocess.run([program], input=json.dumps(request).encode('utf-8'), capture_output=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f'{program} failed ({done.returncode}): {done.stderr.decode(errors="replace")}')
    out = json.loads(done.stdout)
    headers = {}
    for name, value in out['headers']:
        lname = name.lower()
        headers[lname] = headers[lname] + ',' + value if lname in headers else value
    out['headers'] = headers
    return out


def side_by_side(left, right, width=78):
    lines = [f'  {"botocore":<{width}} | pgs3']
    a, b = left.split('\n'), right.split('\n')
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else '<none>'
        y = b[i] if i < len(b) else '<none>'
        mark = ' ' if x == y else '!'
        lines.append(f'{mark} {x!r:<{width}} | {y!r}' if mark == '!' else f'{mark} {x:<{width}} | {y}')
    return '\n'.join(lines)


def normalized(name, value):
    # botocore separates the Authorization components with ", ", the S3 API Reference's examples (and pgs3) with ",";
    # S3 accepts both.
    if name == 'authorization' and value is not None:
        return value.replace(', ', ',')
    return value


def compare(c, theirs, ours):
    problems = []
    if theirs['path'] != ours['encoded_path']:
        problems.append(f'encoded path: botocore {theirs["path"]!r}, pgs3 {ours["encoded_path"]!r}')
    if theirs['canonical_request'] != ours['canonical_request']:
        problems.append('canonical request differs:\n' + side_by_side(theirs['canonical_request'],
                                                                      ours['canonical_request']))
    if theirs['string_to_sign'] != ours['string_to_sign']:
        problems.append('string to sign differs:\n' + side_by_side(theirs['string_to_sign'], ours['string_to_sign']))
    if theirs['signature'] != ours['signature']:
        problems.append(f'signature: botocore {theirs["signature"]}, pgs3 {ours["signature"]}')
    if not ours['canonical_request'].split('\n')[2] == ours['canonical_query']:
        problems.append('pgs3 canonical_query is not the canonical request\'s query line')
    for name in ('host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'authorization'):
        if normalized(name, theirs['headers'].get(name)) != normalized(name, ours['headers'].get(name)):
            problems.append(f'header {name}: botocore {theirs["headers"].get(name)!r}, '
                            f'pgs3 {ours["headers"].get(name)!r}')
    if ours['headers'].get('x-amz-date') != FROZEN_AMZ_DATE:
        problems.append(f'x-amz-date is {ours["headers"].get("x-amz-date")!r}, not the frozen {FROZEN_AMZ_DATE}')
    return problems


def main():
    if len(sys.argv) != 2:
        print(f'usage: {sys.argv[0]} PATH/TO/pgs3_sigv4_cases', file=sys.stderr)
        return 2
    program = sys.argv[1]
    if len(CASES) < 25:
        print(f'sigv4 oracle: only {len(CASES)} cases in the table', file=sys.stderr)
        return 2
    failed = 0
    for c in CASES:
        try:
            theirs = botocore_sign(c)
            ours = pgs3_sign(program, c)
        except Exception as e:  # the harness itself broke: say which case
            print(f'sigv4 oracle: case "{c["name"]}": {type(e).__name__}: {e}', file=sys.stderr)
            return 2
        problems = compare(c, theirs, ours)
        if problems:
            failed += 1
            print(f'MISMATCH {c["name"]}')
            for p in problems:
                print('  ' + p.replace('\n', '\n  '))
    if failed:
        print(f'sigv4 oracle: {failed} of {len(CASES)} cases disagree (botocore {botocore.__version__})')
        return 1
    print(f'sigv4 oracle: {len(CASES)} cases agree (botocore {botocore.__version__})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
