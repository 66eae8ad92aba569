// Tests of the test harness itself (no pgs3 needed): the cluster script, the canonical text forms against
// PostgreSQL's own output, the CSV parser, and the two Parquet readers on a file DuckDB writes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { parseCsv } from './harness/csv.mjs';
import { clusterScript } from './harness/env.mjs';
import { duckQuery, readWithDuckDB, readWithHyparquet, sqlString } from './harness/parquet.mjs';
import { makeTempDir } from './harness/pgs3.mjs';
import {
  DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY, canonFloat, decimalText, pgDate, pgTime,
  pgTimestamp, significantDigits,
} from './harness/pgtext.mjs';

// A process that exists and is not a zombie (PID 1 in a container may be slow to reap).
function alive(pid) {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

let cluster;
before(async () => { cluster = await startCluster(); });
after(() => cluster?.stop());

test('ClusterAcceptsOnlyPasswordAuthenticatedTcpConnections', async () => {
  const ok = await cluster.connect();
  const [{ wal_level: wal }] = (await ok.query('SHOW wal_level')).rows;
  const [{ listen }] = (await ok.query("SELECT current_setting('listen_addresses') AS listen")).rows;
  await ok.end();
  assert.equal(wal, 'logical');
  assert.equal(listen, '127.0.0.1');
  await assert.rejects(cluster.connect({ password: 'not-the-password' }), /password authentication failed/);
  const reader = await cluster.connect({ user: cluster.reader });
  const [{ su }] = (await reader.query("SELECT rolsuper::text AS su FROM pg_roles WHERE rolname = current_user")).rows;
  await reader.end();
  assert.equal(su, 'false');
});

test('ClusterScriptStartIsIdempotentAndStopStopsThePostmaster', () => {
  const dir = makeTempDir('pgs3-it-pgself-');
  const start = spawnSync(clusterScript, ['start', dir], { encoding: 'utf8' });
  assert.equal(start.status, 0, start.stderr);
  assert.match(start.stdout, /^PGHOST=127\.0\.0\.1 PGPORT=\d+ PGUSER=postgres PGPASSFILE=\S+\n$/);
  const again = spawnSync(clusterScript, ['start', dir], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, start.stdout);
  const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  assert.ok(alive(pid));
  const stop = spawnSync(clusterScript, ['stop', dir], { encoding: 'utf8' });
  assert.equal(stop.status, 0, stop.stderr);
  assert.ok(!alive(pid), `postmaster ${pid} still runs after stop`);
  assert.equal(spawnSync(clusterScript, ['stop', dir], { encoding: 'utf8' }).status, 0);
  assert.equal(spawnSync(clusterScript, ['status', dir], { encoding: 'utf8' }).status, 3);
  const bad = spawnSync(clusterScript, ['frobnicate', dir], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});

test('TimestampDateAndTimeTextMatchesPostgresOutput', async () => {
  const rows = await cluster.sql(`
    WITH v(ts) AS (
      SELECT ts FROM unnest(ARRAY['4714-11-24 00:00:00 BC', '0001-01-01 00:00:00 BC', '0001-01-01 00:00:00',
        '0044-03-15 12:34:56.000001 BC', '1969-12-31 23:59:59.999999', '1970-01-01', '2000-02-29 12:00:00.5',
        '9999-12-31 23:59:59.999999', '294246-12-31 23:59:59.999999', 'infinity', '-infinity']::timestamp[]) ts
      UNION ALL
      SELECT timestamp '1970-01-01' + (random() * 4e11 - 2e11) * interval '1 second' FROM generate_series(1, 2000)
    )
    SELECT ts::text AS text,
           CASE WHEN isfinite(ts) THEN (extract(epoch FROM ts) * 1000000)::numeric(30,0)::text END AS micros,
           ts::date::text AS dtext, CASE WHEN isfinite(ts) THEN (ts::date - date '1970-01-01')::text END AS days,
           ts::time::text AS ttext, (extract(epoch FROM ts::time) * 1000000)::numeric(30,0)::text AS tmicros
      FROM v`);
  for (const r of rows) {
    if (r.micros === null) {
      assert.equal(pgTimestamp(r.text === 'infinity' ? TIMESTAMP_INFINITY : TIMESTAMP_NEG_INFINITY), r.text);
      continue;
    }
    assert.equal(pgTimestamp(BigInt(r.micros)), r.text);
    assert.equal(pgDate(Number(r.days)), r.dtext);
    assert.equal(pgTime(BigInt(r.tmicros)), r.ttext);
  }
  assert.equal(pgTime(86400000000n), '24:00:00');
  assert.equal(pgDate(DATE_INFINITY), 'infinity');
  assert.equal(pgDate(DATE_NEG_INFINITY), '-infinity');
});

test('DecimalAndFloatCanonicalForms', () => {
  assert.equal(decimalText(12345n, 4), '1.2345');
  assert.equal(decimalText(5n, 2), '0.05');
  assert.equal(decimalText(-5n, 2), '-0.05');
  assert.equal(decimalText(-123n, 0), '-123');
  assert.equal(decimalText(0n, 3), '0.000');
  assert.equal(canonFloat(-0, 64), '-0');
  assert.equal(canonFloat(NaN, 32), 'NaN');
  assert.equal(canonFloat(1.1, 32), String(Math.fround(1.1)));
  assert.equal(significantDigits('1.50'), 2);
  assert.equal(significantDigits('1e+100'), 1);
  assert.equal(significantDigits('0.000123'), 3);
});

test('CsvParserHandlesRfc4180QuotingAndCustomDelimiters', () => {
  const rows = parseCsv('1,"a,b","say ""hi""",\n2,"line1\nline2\r\nline3","",x\n', {});
  assert.deepEqual(rows.map((r) => r.map((f) => f.value)),
    [['1', 'a,b', 'say "hi"', ''], ['2', 'line1\nline2\r\nline3', '', 'x']]);
  assert.deepEqual(rows[1].map((f) => f.quoted), [false, true, true, false]);
  assert.deepEqual(parseCsv('a;"b;\r\n"\r\nc', { delimiter: ';', rowDelimiter: '\r\n' }).map((r) => r.map((f) => f.value)),
    [['a', 'b;\r\n'], ['c']]);
  assert.deepEqual(parseCsv('"a"b\n', { rfc4180: false }).map((r) => r.map((f) => f.value)), [['"a"b']]);
  assert.throws(() => parseCsv('"a"b\n', {}), /after a closing quote/);
  assert.throws(() => parseCsv('"abc\n', {}), /unterminated/);
});

test('ParquetReadersAgreeOnEveryPhysicalType', async () => {
  const file = join(makeTempDir('pgs3-it-pq-'), 'x.parquet');
  await duckQuery(`COPY (SELECT * FROM (VALUES
      (1, true, (-32768)::SMALLINT, 9223372036854775807::BIGINT, 'NaN'::FLOAT, '-0'::DOUBLE,
       99999999999999999999999999999999999999::DECIMAL(38,0), -0.05::DECIMAL(10,2), '\\x00\\xFF'::BLOB,
       DATE '0044-03-15 (BC)', TIME '13:45:00.5', TIMESTAMP '1969-12-31 23:59:59.999999', 'héllo'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) t(id, b, s, l, f, d, dec38,
       dec10, bl, dt, tm, ts, txt)) TO ${sqlString(file)} (FORMAT parquet)`);
  const hy = await readWithHyparquet(file);
  const du = await readWithDuckDB([file]);
  assert.deepEqual(hy.rows, du.rows);
  assert.deepEqual(hy.rows[0], ['1', 'true', '-32768', '9223372036854775807', 'NaN', '-0',
    '99999999999999999999999999999999999999', '-0.05', '\\x00ff', '0044-03-15 BC', '13:45:00.5',
    '1969-12-31 23:59:59.999999', 'héllo']);
  assert.deepEqual(hy.rows[1], ['2', ...Array(12).fill(null)]);
});
