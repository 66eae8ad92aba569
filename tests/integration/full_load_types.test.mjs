// Full load of tables holding every type of the README type-mapping table (NULLs, extremes, NaN/±Infinity/-0,
// 38-digit decimals, 1e100 numerics, BC dates, ±infinity timestamps, multi-line and non-ASCII text, 1 MB values,
// an empty table, a 300-column table), compared value by value with the source through DuckDB and hyparquet
// (Parquet) and our CSV parser (CSV, CSV.gz), under the Parquet and CSV settings variants DMS offers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { typesFixtureSql, typesTables } from './fixtures/types.mjs';
import { startCluster } from './harness/cluster.mjs';
import { runFullLoad, warnings } from './harness/fullload.mjs';
import { parquetInfo, pageTypes } from './harness/parquet.mjs';
import { assertPgs3Works, describeRun, fullLoadTask, makeTempDir, runPgs3, selectionRule } from './harness/pgs3.mjs';
import { loadFiles } from './harness/verify.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(typesFixtureSql);
});
after(() => cluster?.stop());

const typesRule = () => [selectionRule('types', '%')];

test('ParquetDefaultsWriteEveryTypeAsTheReadmeMapsIt', async () => {
  await runFullLoad({ cluster, s3Settings: { DataFormat: 'parquet' }, rules: typesRule(), tables: typesTables,
    label: 'types-parquet-defaults' });
});

test('RleDictionaryEncodingGivesLowCardinalityColumnsADictionary', async () => {
  // EncodingType defaults to rle-dictionary (DMS): a column with three distinct values gets a dictionary page.
  const settings = { DataFormat: 'parquet' };
  const { targetDir } = await runFullLoad({ cluster, s3Settings: settings, tables: [['types', 'dict_friendly']],
    rules: [selectionRule('types', 'dict_friendly')], label: 'dictionary-encoding' });
  const [file] = loadFiles(targetDir, 'it', 'types', 'dict_friendly', settings);
  const info = await parquetInfo(file);
  const status = pageTypes(file, info).filter((c) => c.column === 'status');
  assert.ok(status.length > 0 && status.every((c) => c.pages[0] === 'DICTIONARY_PAGE'),
    `dict_friendly.status has no dictionary page with EncodingType rle-dictionary: ${JSON.stringify(status)}`);
  for (const rg of info.rowGroups) {
    const enc = rg.columns.find((c) => c.name === 'status').encodings;
    assert.ok(enc.some((e) => e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY'), `status encodings ${enc}`);
  }
});

test('ValuesParquetCannotHoldAreLoggedAsWarningsNamingTableAndColumn', async () => {
  // README: NaN in numeric(p,s) becomes NULL and ±infinity timestamps/dates become the extreme integers, each with
  // a warning naming the table, the column and the count.
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, s3Settings: { DataFormat: 'parquet' },
    rules: [selectionRule('types', 'all_types')] });
  const run = await runPgs3(task, { env: cluster.pgs3Env(), label: 'unrepresentable-warnings' });
  assert.equal(run.code, 0, describeRun(run));
  const warned = warnings(run).map((w) => JSON.stringify(w));
  // Column → how many such values it holds (fixtures/types.mjs).
  const expected = { c_num_10_2: 1, c_dom_price: 1, c_num_38_0: 1, c_ts: 2, c_tstz: 2, c_ts3: 2, c_date: 2, c_dom_stamp: 2 };
  for (const [column, count] of Object.entries(expected)) {
    const named = warned.filter((w) => w.includes('all_types') && new RegExp(`\\b${column}\\b`).test(w));
    assert.ok(named.length > 0, `no warning names all_types and ${column}; warnings: ${warned.join('\n') || '(none)'}`);
    assert.ok(named.some((w) => new RegExp(`\\b${count}\\b`).test(w)), `the warning for ${column} lacks the count ${count}: ${named}`);
  }
  for (const column of ['c_int8', 'c_text', 'c_float8']) {
    assert.ok(!warned.some((w) => w.includes(`${column}"`) || w.includes(`${column} `)),
      `a warning names ${column}, which holds nothing Parquet cannot hold`);
  }
});

test('ParquetVersion2SnappyPlainEncoding', async () => {
  await runFullLoad({ cluster, rules: typesRule(), tables: typesTables, label: 'types-parquet-v2-snappy-plain',
    s3Settings: { DataFormat: 'parquet', ParquetVersion: 'parquet-2-0', CompressionType: 'snappy',
      EncodingType: 'plain' } });
});

test('ParquetVersion1GzipTimestampsInMilliseconds', async () => {
  await runFullLoad({ cluster, rules: typesRule(), tables: typesTables, label: 'types-parquet-v1-gzip-millis',
    s3Settings: { DataFormat: 'parquet', ParquetVersion: 'parquet-1-0', CompressionType: 'GZIP',
      EncodingType: 'rle-dictionary', ParquetTimestampInMillisecond: true } });
});

test('ParquetVersion2ZstdWithOpAndTimestampColumns', async () => {
  await runFullLoad({ cluster, rules: typesRule(), tables: typesTables, label: 'types-parquet-v2-zstd-op-ts',
    s3Settings: { DataFormat: 'parquet', ParquetVersion: 'parquet-2-0', CompressionType: 'zstd',
      IncludeOpForFullLoad: true, TimestampColumnName: 'load_ts' } });
});

test('CsvIsTheDefaultFormat', async () => {
  // No DataFormat: DMS's default, csv.
  await runFullLoad({ cluster, rules: typesRule(), tables: typesTables, label: 'types-csv-default', s3Settings: {} });
});

test('CsvGzipWithHeaderDelimiterNullValueOpAndTimestamp', async () => {
  await runFullLoad({ cluster, rules: typesRule(), tables: typesTables, label: 'types-csv-gzip-options',
    s3Settings: { DataFormat: 'csv', CompressionType: 'GZIP', AddColumnName: true, CsvDelimiter: '|',
      CsvNullValue: 'NULL', IncludeOpForFullLoad: true, TimestampColumnName: 'ts_col' } });
});

test('CsvWithoutRfc4180QuotingAndWithACustomRowDelimiter', async () => {
  await runFullLoad({ cluster, rules: [selectionRule('plaincsv', '%')], tables: [['plaincsv', 'simple']],
    label: 'plaincsv-no-rfc4180',
    s3Settings: { DataFormat: 'csv', Rfc4180: false, CsvDelimiter: ';', CsvRowDelimiter: '\r\n' } });
});

test('NaNInNotNullDecimalColumnStopsTheTaskNamingTableAndColumn', async () => {
  await cluster.sql(`CREATE SCHEMA IF NOT EXISTS nanfail;
    CREATE TABLE nanfail.nan_required (id int PRIMARY KEY, amount numeric(10,2) NOT NULL);
    INSERT INTO nanfail.nan_required VALUES (1, 1.5), (2, 'NaN'), (3, 2.5);`);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, s3Settings: { DataFormat: 'parquet' },
    rules: [selectionRule('nanfail', 'nan_required')] });
  const r = await runPgs3(task, { env: cluster.pgs3Env(), label: 'nan-in-required-decimal' });
  assert.equal(r.code, 1, `expected a runtime failure (exit 1): ${describeRun(r)}`);
  assert.match(r.stderr, /nan_required/, 'the error names the table');
  assert.match(r.stderr, /amount/, 'the error names the column');
});

test('TimestampsBeyondInt64MicrosStopTheLoadButFitInMillis', async () => {
  // README: after 294247-01-10 04:00:54.775807 a timestamp does not fit in INT64 microseconds since 1970; with
  // ParquetTimestampInMillisecond it does. PostgreSQL allows up to 294276-12-31.
  await cluster.sql(`CREATE SCHEMA IF NOT EXISTS farfuture;
    CREATE TABLE farfuture.events (id int PRIMARY KEY, far_at timestamp);
    INSERT INTO farfuture.events VALUES (1, '294276-12-31 23:59:59.999999'), (2, '2024-01-01 00:00:00'), (3, NULL);`);
  const rules = () => [selectionRule('farfuture', 'events')];

  const targetDir = makeTempDir('pgs3-it-target-');
  const micros = await runPgs3(fullLoadTask({ cluster, targetDir, s3Settings: { DataFormat: 'parquet' }, rules: rules() }),
    { env: cluster.pgs3Env(), label: 'far-future-micros' });
  assert.equal(micros.code, 1, `expected a runtime failure (exit 1): ${describeRun(micros)}`);
  assert.match(micros.stderr, /events/, 'the error names the table');
  assert.match(micros.stderr, /far_at/, 'the error names the column');

  // DuckDB's timestamps end at 294247: only hyparquet can read this file back.
  await runFullLoad({ cluster, rules: rules(), tables: [['farfuture', 'events']], label: 'far-future-millis',
    s3Settings: { DataFormat: 'parquet', ParquetTimestampInMillisecond: true }, verifyOptions: { readers: ['hyparquet'] } });
  // README: CSV decodes timestamps the same way, so it stops too, naming the table and column.
  const csv = await runPgs3(fullLoadTask({ cluster, targetDir: makeTempDir('pgs3-it-target-'),
    s3Settings: { DataFormat: 'csv' }, rules: rules() }), { env: cluster.pgs3Env(), label: 'far-future-csv' });
  assert.equal(csv.code, 1, `expected a runtime failure (exit 1): ${describeRun(csv)}`);
  assert.match(csv.stderr, /far_at/, 'the error names the column');
});
