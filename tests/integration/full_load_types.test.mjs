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
  const settings = { DataFormat: 'parquet' };
  const { run, targetDir } = await runFullLoad({ cluster, s3Settings: settings, rules: typesRule(), tables: typesTables,
    label: 'types-parquet-defaults' });

  // README: the encodings DMS defaults to — rle-dictionary: a low-cardinality column gets a dictionary.
  const [file] = loadFiles(targetDir, 'it', 'types', 'dict_friendly', settings);
  const info = await parquetInfo(file);
  const status = pageTypes(file, info).filter((c) => c.column === 'status');
  assert.ok(status.length > 0 && status.every((c) => c.pages[0] === 'DICTIONARY_PAGE'),
    `dict_friendly.status has no dictionary page with EncodingType rle-dictionary: ${JSON.stringify(status)}`);
  for (const rg of info.rowGroups) {
    const enc = rg.columns.find((c) => c.name === 'status').encodings;
    assert.ok(enc.some((e) => e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY'), `status encodings ${enc}`);
  }

  // README: values a Parquet type cannot hold are logged as warnings naming the table and the column.
  const warned = warnings(run).map((w) => JSON.stringify(w));
  for (const column of ['c_num_10_2', 'c_dom_price', 'c_num_38_0', 'c_ts', 'c_tstz', 'c_date']) {
    assert.ok(warned.some((w) => w.includes('all_types') && w.includes(column)),
      `no warning names all_types and ${column}; warnings: ${warned.join('\n') || '(none)'}`);
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

test('CsvWithoutRfc4180Quoting', async () => {
  await runFullLoad({ cluster, rules: [selectionRule('plaincsv', '%')], tables: [['plaincsv', 'simple']],
    label: 'plaincsv-no-rfc4180', s3Settings: { DataFormat: 'csv', Rfc4180: false, CsvDelimiter: ';' } });
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
