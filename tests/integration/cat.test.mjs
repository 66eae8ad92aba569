// `pgs3 cat`: full loads in several data formats, then every file printed by `pgs3 cat --format jsonl` compared value
// by value with DuckDB's reading of the same file (Parquet) or with our RFC 4180 reader (CSV, CSV.gz); CSV output
// against JSON output; --schema; several files at once; errors; and an s3:// object from the test S3 server.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { parseCsv, readCsvText } from './harness/csv.mjs';
import { runFullLoad } from './harness/fullload.mjs';
import { duckQuery, readWithDuckDB, sqlString } from './harness/parquet.mjs';
import { canonFloat, parseFloatText } from './harness/pgtext.mjs';
import { assertPgs3Works, makeTempDir, runPgs3Command, selectionRule } from './harness/pgs3.mjs';
import { s3api, startS3 } from './harness/s3.mjs';
import { loadFiles } from './harness/verify.mjs';

let cluster;
const servers = [];
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA catt;
    CREATE TABLE catt.kinds (id int PRIMARY KEY, b boolean, i2 smallint, i4 int, i8 bigint, n numeric(20,4),
                             f4 real, f8 double precision, t text, by bytea, d date, ts timestamp, tz timestamptz,
                             tm time, u uuid, j jsonb);
    INSERT INTO catt.kinds
      SELECT g, g % 2 = 0, (g % 30000)::smallint, g * 7919 - 5000000, g::bigint * 1000000000007,
             g * 12.3456, g / 3.0, g / 7.0, 'text ' || g, decode(md5(g::text), 'hex'), date '2000-01-01' + g,
             timestamp '2020-01-01' + g * interval '1 second 1 microsecond',
             timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute', time '00:00' + g * interval '1 second',
             md5(g::text)::uuid, jsonb_build_object('k', g)
        FROM generate_series(1, 3000) g;
    INSERT INTO catt.kinds VALUES
      (100001, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (100002, true, -32768, -2147483648, -9223372036854775808, -9999999999999999.9999, 'NaN', '-Infinity',
       'quote " comma , newline' || E'\\n' || 'crlf' || E'\\r\\n' || 'é€😀', '\\x00ff', '0044-03-15 BC', 'infinity',
       '-infinity', '23:59:59.999999', '00000000-0000-0000-0000-000000000000', '{"a": [1, "x"]}'),
      (100003, false, 32767, 2147483647, 9223372036854775807, 9999999999999999.9999, '-0', 'Infinity', '', '\\x',
       'infinity', '1999-12-31 23:59:59.5', '2000-06-01 12:00:00.000001+02', '00:00:00', NULL, 'null'),
      (100004, false, 0, 0, 9007199254740993, 0.0001, '1e-30', '1.7976931348623157e308', ' lead and trail ', NULL,
       '1970-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '12:34:56.5', NULL, '"str"');
  `);
});
after(async () => {
  for (const s of servers) await s.stop();
  await cluster?.stop();
});

// Runs `pgs3 cat ARGS...` (harness runPgs3Command: asynchronously, the S3 test server runs in this process); returns
// { code, stdout, stderr }.
async function cat(args, { env = {}, timeoutMs = 120000 } = {}) {
  const r = await runPgs3Command(['cat', ...args], { env, timeoutMs });
  assert.equal(r.signal, null, `pgs3 cat ${args.join(' ')} ended by ${r.signal}: ${r.stderr}`);
  return r;
}

function jsonLines(text) {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

// One value of `pgs3 cat --format jsonl` in the canonical text of harness/parquet.mjs's canonFromDuck.
function canonFromCatJson(type, v) {
  if (v === null) return null;
  if (type === 'FLOAT' || type === 'DOUBLE') {
    const x = typeof v === 'number' ? v : parseFloatText(v);
    assert.ok(x !== undefined, `float column printed as ${JSON.stringify(v)}`);
    return canonFloat(x, type === 'FLOAT' ? 32 : 64);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    assert.ok(Number.isSafeInteger(v), `a JSON number must be exact: ${v}`);
    return String(v);
  }
  if (/TIME ZONE|TIMESTAMPTZ/.test(type) && v !== 'infinity' && v !== '-infinity') {
    assert.ok(v.endsWith('+00'), `a UTC-adjusted timestamp must end with +00: ${v}`);
    return v.slice(0, -3);
  }
  return v;
}

// `pgs3 cat --format jsonl FILE` must read exactly what DuckDB reads, column by column, row by row.
async function assertCatMatchesDuckDB(file) {
  const r = await cat(['--format', 'jsonl', file]);
  assert.equal(r.code, 0, `pgs3 cat ${file}: ${r.stderr}`);
  const got = jsonLines(r.stdout);
  const duck = await readWithDuckDB([file]);
  const names = duck.columns.map((c) => c.name);
  assert.equal(got.length, duck.rows.length, `${file}: row count`);
  got.forEach((row, i) => {
    assert.deepEqual(Object.keys(row), names, `${file} row ${i}: columns in file order`);
    names.forEach((name, c) => {
      assert.equal(typeof row[name] === 'number' && !Number.isSafeInteger(row[name]) &&
        !['FLOAT', 'DOUBLE'].includes(duck.columns[c].type), false, `${file} row ${i} ${name}: inexact number`);
      assert.deepEqual(canonFromCatJson(duck.columns[c].type, row[name]), duck.rows[i][c],
        `${file} row ${i} column ${name} (${duck.columns[c].type}): pgs3 cat ${JSON.stringify(row[name])}`);
    });
  });
  return got;
}

// CSV output of the same file: one header line, then the same rows as the JSON output (NULL as an empty unquoted
// field, an empty string as "").
async function assertCsvMatchesJson(file, jsonRows) {
  const r = await cat([file]);
  assert.equal(r.code, 0, r.stderr);
  const rows = parseCsv(r.stdout);
  const names = Object.keys(jsonRows[0]);
  assert.deepEqual(rows[0].map((f) => f.value), names, 'CSV header');
  assert.equal(rows.length - 1, jsonRows.length);
  jsonRows.forEach((row, i) => {
    names.forEach((name, c) => {
      const field = rows[i + 1][c];
      const v = row[name];
      if (v === null) {
        assert.deepEqual([field.value, field.quoted], ['', false], `row ${i} ${name}: NULL`);
      } else if (typeof v === 'number') {
        assert.ok(Object.is(Number(field.value), v), `row ${i} ${name}: CSV ${field.value}, JSON ${v}`);
      } else {
        assert.equal(field.value, typeof v === 'string' ? v : String(v), `row ${i} ${name}`);
      }
    });
  });
}

const parquetLayouts = [
  { DataFormat: 'parquet', CompressionType: 'snappy' },
  { DataFormat: 'parquet', CompressionType: 'gzip', ParquetVersion: 'parquet-2-0', EncodingType: 'plain' },
  { DataFormat: 'parquet', CompressionType: 'zstd', ParquetVersion: 'parquet-2-0', EncodingType: 'plain-dictionary',
    RowGroupLength: 700, MaxFileSize: 64 },
  { DataFormat: 'parquet', CompressionType: 'none', EncodingType: 'rle-dictionary', DictPageSizeLimit: 2048,
    DataPageSize: 4096, RowGroupLength: 1000 },
];

for (const [k, s3Settings] of parquetLayouts.entries()) {
  test(`CatJsonLinesMatchesDuckDBValueByValue_${Object.values(s3Settings).join('_')}`, async () => {
    const { targetDir } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('catt', 'kinds')],
      tables: [['catt', 'kinds']], label: `cat-parquet-${k}` });
    const files = loadFiles(targetDir, 'it', 'catt', 'kinds', s3Settings);
    assert.ok(files.length >= 1);
    let total = 0;
    for (const f of files) {
      const rows = await assertCatMatchesDuckDB(f);
      await assertCsvMatchesJson(f, rows);
      total += rows.length;
    }
    assert.equal(total, 3004);

    // Several files at once: rows in order, one CSV header (the columns are the same).
    if (s3Settings.MaxFileSize) assert.ok(files.length > 1, `MaxFileSize ${s3Settings.MaxFileSize} KB: one file only`);
    if (files.length > 1) {
      const all = await cat(files);
      assert.equal(all.code, 0, all.stderr);
      const lines = parseCsv(all.stdout);
      assert.equal(lines.length, 3004 + 1, 'one header line for files with the same columns');
      const jl = jsonLines((await cat(['--format', 'jsonl', ...files])).stdout);
      assert.deepEqual(jl.map((r) => r.id), lines.slice(1).map((r) => Number(r[0].value)));
    }

    // --schema: columns, types, rows, compression, created_by and pgs3's metadata; no rows.
    const sc = await cat(['--schema', files[0]]);
    assert.equal(sc.code, 0, sc.stderr);
    assert.match(sc.stdout, /^format: parquet$/m);
    assert.match(sc.stdout, /^created_by: pgs3 version /m);
    assert.match(sc.stdout, /^  id +INT32 required$/m);
    assert.match(sc.stdout, /^  n +FIXED_LEN_BYTE_ARRAY\(16\) DECIMAL\(20,4\) optional$/m);
    assert.match(sc.stdout, /^  tz +INT64 TIMESTAMP\(MICROS,UTC\) optional$/m);
    assert.match(sc.stdout, /^  pgs3\.source\.table = kinds$/m);
    assert.match(sc.stdout, /^source: catt\.kinds$/m);
    const codec = String(s3Settings.CompressionType).toUpperCase().replace('NONE', 'UNCOMPRESSED');
    assert.match(sc.stdout, new RegExp(`^compression: ${codec}$`, 'm'));
    assert.doesNotMatch(sc.stdout, /text 1\b/);
    const sj = jsonLines((await cat(['--schema', '--format', 'jsonl', files[0]])).stdout);
    assert.equal(sj.length, 1);
    assert.equal(sj[0].columns.length, 16);
    assert.deepEqual(sj[0].columns[0], { name: 'id', physical_type: 'INT32', logical_type: null,
      repetition: 'required' });
    assert.deepEqual(sj[0].columns[2], { name: 'i2', physical_type: 'INT32', logical_type: 'INT(16,signed)',
      repetition: 'optional' });
    assert.equal(sj[0].key_value_metadata['pgs3.source.schema'], 'catt');
    assert.equal(sj[0].rows, jsonLines((await cat(['--format', 'jsonl', files[0]])).stdout).length);
  });
}

for (const s3Settings of [{ DataFormat: 'csv', AddColumnName: true },
  { DataFormat: 'csv', CompressionType: 'GZIP', MaxFileSize: 100 }]) {
  test(`CatReadsCsvFiles_${Object.values(s3Settings).join('_')}`, async () => {
    const { targetDir } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('catt', 'kinds')],
      tables: [['catt', 'kinds']], label: 'cat-csv' });
    const files = loadFiles(targetDir, 'it', 'catt', 'kinds', s3Settings);
    const header = s3Settings.AddColumnName === true;
    let total = 0;
    for (const f of files) {
      const text = readCsvText(f);
      // CSV out: the file's text, decompressed.
      const r = await cat([f]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, text);
      // JSON lines: one object per record, keys from the header or col1..n, NULL (empty unquoted) as null.
      const records = parseCsv(text);
      const names = header ? records[0].map((x) => x.value) : records[0].map((_, i) => `col${i + 1}`);
      const data = header ? records.slice(1) : records;
      const got = jsonLines((await cat(['--format', 'jsonl', f])).stdout);
      assert.equal(got.length, data.length);
      got.forEach((row, i) => {
        assert.deepEqual(Object.keys(row), names);
        names.forEach((name, c) => {
          const field = data[i][c];
          assert.deepEqual(row[name], !field.quoted && field.value === '' ? null : field.value, `${f} row ${i} ${name}`);
        });
      });
      total += data.length;
      const sc = await cat(['--schema', f]);
      assert.equal(sc.code, 0, sc.stderr);
      assert.match(sc.stdout, new RegExp(`^records: ${records.length} \\(${data.length} rows\\)$`, 'm'));
      assert.match(sc.stdout, header ? /^header: id b i2 /m : /^header: none detected$/m);
    }
    assert.equal(total, 3004);
  });
}

// Files of another writer (DuckDB): unsigned integers, DECIMAL on INT32/INT64, UUID, TIMESTAMP(MILLIS), and with
// PARQUET_VERSION v2 the DELTA_* and BYTE_STREAM_SPLIT encodings.
test('CatReadsDuckDBWrittenFilesV1AndV2LikeDuckDB', async () => {
  const dir = makeTempDir('pgs3-it-cat-duck-');
  for (const version of ['v1', 'v2']) {
    const path = join(dir, `duck_${version}.parquet`);
    await duckQuery(`COPY (SELECT i::INT AS id, i::BIGINT * 1000000007 AS big, (i % 256)::UTINYINT AS u8,
        (18446744073709551615 - i)::UBIGINT AS u64, (i / 7.0)::DECIMAL(9,3) AS d9, (i / 7.0)::DECIMAL(18,4) AS d18,
        (i / 7.0)::DECIMAL(38,10) AS d38,
        CASE WHEN i % 5 = 0 THEN NULL ELSE 'shared prefix ' || (i * i) || ' "q",' END AS s, 'k' || (i % 3) AS low,
        CASE WHEN i % 100 = 0 THEN 'NaN'::DOUBLE WHEN i % 101 = 0 THEN '-inf'::DOUBLE ELSE i / 3.0 END AS f8,
        (i / 3.0)::FLOAT AS f4, i % 2 = 0 AS b, ('\\x' || lpad(to_hex(i), 6, '0'))::BLOB AS blob,
        DATE '1999-12-31' + i::INT AS day, TIMESTAMP '2024-01-01 00:00:00.5' + i * INTERVAL 1 SECOND AS ts,
        TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 MINUTE AS tz, TIME '00:00:00' + i * INTERVAL 1 SECOND AS tm,
        TIMESTAMP_MS '2024-01-01 00:00:00.123' + i * INTERVAL 1 MILLISECOND AS tms, uuid() AS u
      FROM range(0, 5000) r(i)) TO ${sqlString(path)}
      (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION ${version}, ROW_GROUP_SIZE 2000)`);
    const rows = await assertCatMatchesDuckDB(path);
    assert.equal(rows.length, 5000);
    assert.equal(rows[1].u64, '18446744073709551614', 'UBIGINT beyond 2^53 is a JSON string');
    const sc = await cat(['--schema', path]);
    assert.equal(sc.code, 0, sc.stderr);
    assert.match(sc.stdout, /^  u64 +INT64 INT\(64,unsigned\) optional$/m);
    assert.match(sc.stdout, /^  u +FIXED_LEN_BYTE_ARRAY\(16\) UUID optional$/m);
    assert.match(sc.stdout, /^row groups: 3$/m);
  }
});

test('CatErrorsNameTheFileAndSetTheExitCode', async () => {
  const dir = makeTempDir('pgs3-it-cat-');
  const missing = join(dir, 'missing.parquet');
  let r = await cat([missing]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.parquet: no such file/);

  const truncated = join(dir, 'LOAD00000001.parquet');
  const { targetDir } = await runFullLoad({ cluster, s3Settings: { DataFormat: 'parquet' },
    rules: [selectionRule('catt', 'kinds')], tables: [['catt', 'kinds']], label: 'cat-errors' });
  const good = loadFiles(targetDir, 'it', 'catt', 'kinds', { DataFormat: 'parquet' })[0];
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  r = await cat([truncated]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LOAD00000001\.parquet: .*(truncated|PAR1)/);

  // Corrupt pages (the footer intact): an error naming the file, never a crash.
  const corrupt = Buffer.from(bytes);
  for (let i = 200; i < corrupt.length - 2000; i += 97) corrupt[i] ^= 0x5a;
  const corruptFile = join(dir, 'corrupt.parquet');
  writeFileSync(corruptFile, corrupt);
  r = await cat(['--format', 'jsonl', corruptFile]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}, signal? stderr: ${r.stderr}`);
  if (r.code === 1) assert.match(r.stderr, /corrupt\.parquet: /);

  // A good file after a missing one is still printed; the exit code reports the failure.
  r = await cat(['--format', 'jsonl', missing, good]);
  assert.equal(r.code, 1);
  assert.equal(jsonLines(r.stdout).length, 3004);

  r = await cat(['s3://bucket-only']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /s3:\/\/BUCKET\/KEY/);
});

test('CatReadsAnS3ObjectThroughTheS3Client', async () => {
  const s3 = await startS3({ region: 'eu-west-1' });
  servers.push(s3.server);
  const { targetDir } = await runFullLoad({ cluster, s3Settings: { DataFormat: 'parquet', CompressionType: 'zstd' },
    rules: [selectionRule('catt', 'kinds')], tables: [['catt', 'kinds']], label: 'cat-s3' });
  const file = loadFiles(targetDir, 'it', 'catt', 'kinds', { DataFormat: 'parquet' })[0];
  const key = 'raw/catt/kinds/LOAD 00000001.parquet';  // a space, to exercise key encoding
  await s3api(s3, ['put-object', '--bucket', 'lake', '--key', key, '--body', file]);

  const local = await cat(['--format', 'jsonl', file]);
  assert.equal(local.code, 0, local.stderr);
  const url = `s3://lake/${key}`;
  // Endpoint and region from the standard environment ...
  let r = await cat(['--format', 'jsonl', url], { env: { ...s3.env, AWS_ENDPOINT_URL: s3.endpoint } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, local.stdout);
  // ... or from the flags.
  r = await cat(['--endpoint-url', s3.endpoint, '--region', 'eu-west-1', '--schema', url], { env: s3.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^rows: 3004$/m);

  r = await cat([`s3://lake/raw/catt/kinds/nothing.parquet`], { env: { ...s3.env, AWS_ENDPOINT_URL: s3.endpoint } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /s3:\/\/lake\/raw\/catt\/kinds\/nothing\.parquet: no such object/);
  assert.ok(!r.stderr.includes(s3.creds.secretAccessKey));

  // Wrong credentials: a clear error, and no secret in it.
  const wrong = { ...s3.env, AWS_SECRET_ACCESS_KEY: 'x'.repeat(40), AWS_ENDPOINT_URL: s3.endpoint };
  r = await cat([url], { env: wrong });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /LOAD 00000001\.parquet: /);
  assert.ok(!r.stderr.includes(s3.creds.secretAccessKey) && !r.stderr.includes('x'.repeat(40)));
});
