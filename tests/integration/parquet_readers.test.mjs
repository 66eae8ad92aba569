// Independent readers of pgs3's Parquet writer: the fixture program (tests/fixtures/parquet_fixture.cc) writes files
// of every type and layout (v1/v2 pages, every codec, plain / plain-dictionary / rle-dictionary with fallback,
// several row groups and pages, NULLs, extremes, 1 MiB values) plus expected.json; this test reads every file with
// DuckDB and with hyparquet and compares value by value, then checks the metadata we wrote (schema annotations,
// row groups, page kinds and encodings, statistics, key-value metadata) as DuckDB and hyparquet see it.
//
// Environment: PGS3_BUILD_DIR, the CMake build directory holding tests/unit/pgs3_parquet_fixture (default:
// build/release in this repository); PGS3_IT_KEEP=1 keeps the generated files. Run alone with
//   node --test tests/integration/parquet_readers.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  DuckDBInstance, asyncBufferFromFile, compressors, parquetHeader, parquetMetadataAsync, parquetReadObjects,
} from '../tools/deps.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = process.env.PGS3_BUILD_DIR || path.join(repo, 'build/release');
const fixtureBin = path.join(buildDir, 'tests/unit/pgs3_parquet_fixture');

// --- Running the fixture -------------------------------------------------------------------------------------------

const outDir = mkdtempSync(path.join(tmpdir(), 'pgs3-parquet-readers-'));
let expected;
let fixtureError;
try {
  if (!existsSync(fixtureBin)) {
    throw new Error(`${fixtureBin} is missing: build it (ninja -C ${buildDir} tests/unit/pgs3_parquet_fixture) ` +
      'or set PGS3_BUILD_DIR to the build directory that has it');
  }
  execFileSync(fixtureBin, [outDir], { stdio: ['ignore', 'inherit', 'inherit'] });
  expected = JSON.parse(readFileSync(path.join(outDir, 'expected.json'), 'utf8'));
} catch (e) {
  fixtureError = e;
}
after(() => {
  if (process.env.PGS3_IT_KEEP === '1') console.log(`parquet_readers: keeping ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
});

// --- Expected values -----------------------------------------------------------------------------------------------

const INT64_MAX = '9223372036854775807';
const INT32_MAX = 2147483647;

// Long strings are stored in expected.json as {repeat, times, suffix}.
function expandString(v) {
  return typeof v === 'object' && v !== null ? v.repeat.repeat(v.times) + v.suffix : v;
}

function floatOf(v) {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === '-0') return -0;
  return v;
}

const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const utf8Hex = (s) => Buffer.from(s, 'utf8').toString('hex');

// True when two numbers are the same value, NaN and the sign of zero included.
function sameFloat(actual, want, isFloat32) {
  const w = isFloat32 ? Math.fround(want) : want;
  return Object.is(actual, w);
}

// --- DuckDB ---------------------------------------------------------------------------------------------------------

let duckdb;
before(async () => {
  if (fixtureError) return;
  const instance = await DuckDBInstance.create(':memory:');
  duckdb = await instance.connect();
});

async function duckdbRows(sql) {
  const reader = await duckdb.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (name) => `"${name.replaceAll('"', '""')}"`;

// A VARCHAR expression that renders a column's value exactly, in a form expected.json can be mapped to.
function duckdbExpression(col) {
  const c = ident(col.name);
  switch (col.logical) {
    case 'DATE':
      return `CASE WHEN isinf(${c}) THEN CAST(${c} AS VARCHAR) ELSE CAST(${c} - DATE '1970-01-01' AS VARCHAR) END`;
    case 'TIME_MICROS':
    case 'TIME_MILLIS':
      return `CAST(datediff('microsecond', TIME '00:00:00', CAST(${c} AS TIME)) AS VARCHAR)`;
    case 'TIMESTAMP_MICROS':
    case 'TIMESTAMP_MILLIS':
      return `CASE WHEN isinf(${c}) THEN CAST(${c} AS VARCHAR) ELSE CAST(epoch_us(${c}) AS VARCHAR) END`;
    case 'STRING':
      return c;
    default:
      if (col.physical === 'BYTE_ARRAY') return `lower(hex(${c}))`;
      return `CAST(${c} AS VARCHAR)`;
  }
}

// Whether DuckDB's rendering `actual` (a string or null) is the expected value `want`.
function duckdbMatches(col, want, actual) {
  if (want === null) return actual === null;
  if (actual === null) return false;
  switch (col.logical) {
    case 'DATE':
      return actual === (want === INT32_MAX ? 'infinity' : want === -INT32_MAX ? '-infinity' : String(want));
    case 'TIME_MICROS':
      return actual === want;
    case 'TIME_MILLIS':
      return actual === String(BigInt(want) * 1000n);
    case 'TIMESTAMP_MICROS':
      return actual === (want === INT64_MAX ? 'infinity' : want === `-${INT64_MAX}` ? '-infinity' : want);
    case 'TIMESTAMP_MILLIS':
      return actual === String(BigInt(want) * 1000n);
    case 'STRING':
      return actual === expandString(want);
    default:
      break;
  }
  switch (col.physical) {
    case 'FLOAT':
    case 'DOUBLE': {
      const parsed = { nan: NaN, inf: Infinity, '-inf': -Infinity }[actual] ?? Number(actual);
      const isFloat32 = col.physical === 'FLOAT';
      return sameFloat(isFloat32 ? Math.fround(parsed) : parsed, floatOf(want), isFloat32);
    }
    default:
      return actual === String(want);  // BOOLEAN, INT32, INT64, DECIMAL text, binary hex
  }
}

// --- hyparquet ------------------------------------------------------------------------------------------------------

const decoder = new TextDecoder();
// Keep temporal values raw (days, micro- or milliseconds as bigint) so that they compare exactly.
const rawParsers = {
  timestampFromMilliseconds: (v) => v,
  timestampFromMicroseconds: (v) => v,
  timestampFromNanoseconds: (v) => v,
  dateFromDays: (v) => v,
  stringFromBytes: (b) => b && decoder.decode(b),
};

function hyparquetMatches(col, want, actual) {
  if (want === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (col.logical === 'DECIMAL') {
    // hyparquet turns decimals into JavaScript numbers: equal up to double rounding.
    const w = Number(want);
    return Math.abs(actual - w) <= 1e-12 * Math.max(1, Math.abs(w));
  }
  if (col.logical === 'STRING') return actual === expandString(want);
  switch (col.physical) {
    case 'BOOLEAN':
    case 'INT32':
      return actual === want;
    case 'INT64':
      return typeof actual === 'bigint' && String(actual) === want;
    case 'FLOAT':
      return sameFloat(actual, floatOf(want), true);
    case 'DOUBLE':
      return sameFloat(actual, floatOf(want), false);
    case 'BYTE_ARRAY':
      return actual instanceof Uint8Array && hex(actual) === want;
    default:
      return false;
  }
}

function firstMismatch(dataset, rowsOf, matches) {
  for (let c = 0; c < dataset.columns.length; c++) {
    const col = dataset.columns[c];
    for (let r = 0; r < dataset.rows; r++) {
      const want = dataset.values[c][r];
      const actual = rowsOf(r, col.name);
      if (!matches(col, want, actual)) {
        const show = (v) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}... (${v.length} chars)` :
          typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes ${hex(v)}` : JSON.stringify(v));
        const wanted = typeof want === 'object' && want ? expandString(want) : want;
        return `column ${col.name} row ${r}: expected ${show(wanted)}, read ${show(actual)}`;
      }
    }
  }
  return null;
}

// --- Metadata helpers -----------------------------------------------------------------------------------------------

// Rows [begin, end) of each row group.
function rowGroupRanges(file) {
  let begin = 0;
  return file.expect.row_groups.map((n) => {
    const range = [begin, begin + n];
    begin += n;
    return range;
  });
}

const DICTIONARY_DATA_ENCODING = { 'plain-dictionary': 'PLAIN_DICTIONARY', 'rle-dictionary': 'RLE_DICTIONARY' };
const DICTIONARY_PAGE_ENCODING = { 'plain-dictionary': 'PLAIN_DICTIONARY', 'rle-dictionary': 'PLAIN' };
const CODEC = { none: 'UNCOMPRESSED', snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD' };

// The page headers of one column chunk, read with hyparquet's own Thrift decoder.
function pageHeaders(bytes, meta) {
  const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: start };
  const headers = [];
  while (reader.offset < end) {
    const header = parquetHeader(reader);
    reader.offset += header.compressed_page_size;
    headers.push(header);
  }
  assert.equal(reader.offset, end, 'pages end exactly where the column chunk ends');
  return headers;
}

// The expected bounds of a run of values in the column's TYPE_ORDER, as hyparquet reports them with rawParsers
// (strings and binary as hex of their bytes), or undefined when there are none.
function expectedBounds(col, values) {
  const present = values.filter((v) => v !== null);
  let key;
  let render;
  switch (col.physical) {
    case 'BOOLEAN': key = (v) => (v ? 1 : 0); render = (v) => v; break;
    case 'INT32': key = (v) => BigInt(v); render = (v) => v; break;
    case 'INT64': key = (v) => BigInt(v); render = (v) => BigInt(v); break;
    case 'FLOAT':
    case 'DOUBLE': {
      const nums = present.map(floatOf).filter((v) => !Number.isNaN(v));
      if (nums.length === 0) return undefined;
      let min = Math.min(...nums);
      let max = Math.max(...nums);
      // ColumnOrder: a zero minimum is written -0.0, a zero maximum +0.0.
      if (min === 0) min = -0;
      if (max === 0) max = 0;
      return { min, max, exact: true };
    }
    case 'BYTE_ARRAY': {
      const bytes = present.map((v) => (col.logical === 'STRING' ? Buffer.from(expandString(v), 'utf8')
        : Buffer.from(v, 'hex')));
      if (bytes.length === 0) return undefined;
      bytes.sort(Buffer.compare);  // unsigned byte-wise order
      return { min: bytes[0], max: bytes[bytes.length - 1], binary: true };
    }
    case 'FIXED_LEN_BYTE_ARRAY': {
      // DECIMAL: signed order of the represented values; compared as exact text through DuckDB instead.
      const scaled = present.map((v) => ({ v, k: BigInt(v.replace('.', '')) }));
      if (scaled.length === 0) return undefined;
      scaled.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      return { min: scaled[0].v, max: scaled[scaled.length - 1].v, decimal: true };
    }
    default: return undefined;
  }
  if (present.length === 0) return undefined;
  const keyed = present.map((v) => ({ v, k: key(v) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return { min: render(keyed[0].v), max: render(keyed[keyed.length - 1].v), exact: true };
}

// Byte-array statistics may be truncated to 64 bytes: then they must still bound the values and say they are inexact.
function checkBinaryBounds(where, want, stats) {
  const min = Buffer.from(stats.min_value ?? '', 'hex');
  if (want.min.length <= 64) {
    assert.equal(stats.min_value, want.min.toString('hex'), `${where}: min_value`);
    assert.equal(stats.is_min_value_exact, true, `${where}: is_min_value_exact`);
  } else {
    assert.ok(min.length <= 64 && Buffer.compare(min, want.min) <= 0 && want.min.subarray(0, min.length).equals(min),
      `${where}: truncated min_value ${stats.min_value} must be a prefix of the minimum`);
    assert.equal(stats.is_min_value_exact, false, `${where}: is_min_value_exact`);
  }
  if (want.max.length <= 64) {
    assert.equal(stats.max_value, want.max.toString('hex'), `${where}: max_value`);
    assert.equal(stats.is_max_value_exact, true, `${where}: is_max_value_exact`);
  } else if (stats.max_value !== undefined) {
    const max = Buffer.from(stats.max_value, 'hex');
    assert.ok(max.length <= 64 && Buffer.compare(max, want.max) > 0,
      `${where}: truncated max_value must exceed the maximum`);
    assert.equal(stats.is_max_value_exact, false, `${where}: is_max_value_exact`);
  }
}

// --- The tests ------------------------------------------------------------------------------------------------------

if (fixtureError) {
  test('ParquetFixtureRuns', () => {
    throw fixtureError;
  });
} else {
  test('FixtureCoversEveryTypeAndLayout', () => {
    const logicals = new Set(expected.datasets.all_types.columns.map((c) => `${c.physical}/${c.logical}`));
    for (const t of ['BOOLEAN/NONE', 'INT32/INT8', 'INT32/INT16', 'INT32/NONE', 'INT64/NONE', 'FLOAT/NONE',
      'DOUBLE/NONE', 'BYTE_ARRAY/STRING', 'BYTE_ARRAY/NONE', 'FIXED_LEN_BYTE_ARRAY/DECIMAL', 'INT32/DATE',
      'INT64/TIME_MICROS', 'INT32/TIME_MILLIS', 'INT64/TIMESTAMP_MICROS', 'INT64/TIMESTAMP_MILLIS']) {
      assert.ok(logicals.has(t), `all_types covers ${t}`);
    }
    const layouts = new Set(expected.files.map((f) => `${f.version}/${f.compression}/${f.encoding}`));
    assert.equal(layouts.size, 2 * 4 * 3, 'every page version x codec x encoding');
  });

  for (const file of expected.files) {
    const dataset = expected.datasets[file.dataset];
    const filePath = path.join(outDir, file.file);

    test(`DuckDBReadsEveryValueOf ${file.file}`, async () => {
      const select = dataset.columns.map((c) => `${duckdbExpression(c)} AS ${ident(c.name)}`).join(', ');
      const rows = await duckdbRows(
        `SELECT ${select} FROM read_parquet(${sqlString(filePath)}, file_row_number = true) ORDER BY file_row_number`);
      assert.equal(rows.length, dataset.rows);
      const mismatch = firstMismatch(dataset, (r, name) => rows[r][name], duckdbMatches);
      assert.equal(mismatch, null, mismatch ?? '');
    });

    test(`HyparquetReadsEveryValueOf ${file.file}`, async () => {
      const rows = await parquetReadObjects({
        file: await asyncBufferFromFile(filePath), compressors, utf8: false, parsers: rawParsers,
      });
      assert.equal(rows.length, dataset.rows);
      const mismatch = firstMismatch(dataset, (r, name) => rows[r][name], hyparquetMatches);
      assert.equal(mismatch, null, mismatch ?? '');
    });

    test(`DuckDBSeesTheSchemaAndKeyValueMetadataOf ${file.file}`, async () => {
      const schema = await duckdbRows(`SELECT * FROM parquet_schema(${sqlString(filePath)})`);
      assert.equal(schema[0].name, 'schema');
      assert.equal(Number(schema[0].num_children), dataset.columns.length);
      const described = await duckdbRows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(filePath)})`);
      dataset.columns.forEach((col, i) => {
        const el = schema[i + 1];
        const where = `${file.file} column ${col.name}`;
        assert.equal(el.name, col.name);
        assert.equal(el.type, col.physical, `${where}: physical type`);
        assert.equal(el.repetition_type, col.nullable ? 'OPTIONAL' : 'REQUIRED', `${where}: repetition`);
        const unit = /MILLIS$/.test(col.logical) ? 'MILLIS=MilliSeconds\\(\\)' : 'MICROS=MicroSeconds\\(\\)';
        const utc = `isAdjustedToUTC=${col.utc_adjusted ? 1 : 0}`;
        const want = {
          NONE: [null, null, col.physical === 'BYTE_ARRAY' ? 'BLOB' : null],
          STRING: ['UTF8', /^StringType\(\)$/, 'VARCHAR'],
          INT8: ['INT_8', /^IntType\(bitWidth=.*isSigned=1\)$/, 'TINYINT'],
          INT16: ['INT_16', /^IntType\(bitWidth=.*isSigned=1\)$/, 'SMALLINT'],
          DECIMAL: ['DECIMAL', new RegExp(`^DecimalType\\(scale=${col.scale}, precision=${col.precision}\\)$`),
            `DECIMAL(${col.precision},${col.scale})`],
          DATE: ['DATE', /^DateType\(\)$/, 'DATE'],
          TIME_MICROS: ['TIME_MICROS', new RegExp(`^TimeType\\(${utc}.*${unit}`),
            col.utc_adjusted ? 'TIME WITH TIME ZONE' : 'TIME'],
          TIME_MILLIS: ['TIME_MILLIS', new RegExp(`^TimeType\\(${utc}.*${unit}`), 'TIME'],
          TIMESTAMP_MICROS: ['TIMESTAMP_MICROS', new RegExp(`^TimestampType\\(${utc}.*${unit}`),
            col.utc_adjusted ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP'],
          TIMESTAMP_MILLIS: ['TIMESTAMP_MILLIS', new RegExp(`^TimestampType\\(${utc}.*${unit}`),
            col.utc_adjusted ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP'],
        }[col.logical];
        assert.equal(el.converted_type, want[0], `${where}: converted type`);
        if (want[1] === null) assert.equal(el.logical_type, null, `${where}: logical type`);
        else assert.match(el.logical_type, want[1], `${where}: logical type`);
        if (want[2]) assert.equal(described[i].column_type, want[2], `${where}: DuckDB type`);
        if (col.logical === 'DECIMAL') {
          assert.equal(Number(el.precision), col.precision);
          assert.equal(Number(el.scale), col.scale);
          assert.equal(Number(el.type_length), col.fixed_length);
        }
      });
      const kv = await duckdbRows(`SELECT key, value FROM parquet_kv_metadata(${sqlString(filePath)})`);
      assert.deepEqual(Object.fromEntries(kv.map((r) => [r.key, r.value])), file.key_value_metadata);
    });

    test(`RowGroupsPagesAndEncodingsOf ${file.file}`, async () => {
      const bytes = readFileSync(filePath);
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(filePath));
      assert.equal(Number(meta.num_rows), dataset.rows);
      assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), file.expect.row_groups);
      const duck = await duckdbRows(`SELECT row_group_id, path_in_schema, compression, stats_null_count
        FROM parquet_metadata(${sqlString(filePath)})`);
      const ranges = rowGroupRanges(file);
      let multiPageChunks = 0;
      meta.row_groups.forEach((group, g) => {
        dataset.columns.forEach((col, c) => {
          const where = `${file.file} row group ${g} column ${col.name}`;
          const chunk = group.columns[c].meta_data;
          const values = dataset.values[c].slice(...ranges[g]);
          const nulls = values.filter((v) => v === null).length;
          assert.equal(chunk.codec, CODEC[file.compression], `${where}: codec`);
          const duckRow = duck.find((r) => Number(r.row_group_id) === g && r.path_in_schema === col.name);
          assert.equal(duckRow.compression, CODEC[file.compression], `${where}: codec seen by DuckDB`);
          if (file.statistics) {
            assert.equal(Number(duckRow.stats_null_count), nulls, `${where}: null count seen by DuckDB`);
          }

          const pages = pageHeaders(bytes, chunk);
          const dataType = file.version === 1 ? 'DATA_PAGE' : 'DATA_PAGE_V2';
          const dataPages = pages.filter((p) => p.type !== 'DICTIONARY_PAGE');
          assert.ok(dataPages.every((p) => p.type === dataType), `${where}: every data page is ${dataType}`);
          const hasDictionary = pages[0].type === 'DICTIONARY_PAGE';
          assert.equal(hasDictionary, chunk.dictionary_page_offset !== undefined, `${where}: dictionary page offset`);
          assert.equal(pages.filter((p) => p.type === 'DICTIONARY_PAGE').length, hasDictionary ? 1 : 0);
          const header = (p) => p.data_page_header ?? p.data_page_header_v2;
          assert.equal(dataPages.reduce((n, p) => n + header(p).num_values, 0), values.length,
            `${where}: values in pages`);
          if (file.version === 2) {
            assert.equal(dataPages.reduce((n, p) => n + p.data_page_header_v2.num_nulls, 0), nulls,
              `${where}: v2 nulls`);
            assert.ok(dataPages.every((p) => p.data_page_header_v2.num_rows === p.data_page_header_v2.num_values));
          }
          if (dataPages.length > 1) multiPageChunks++;
          const encodings = dataPages.map((p) => header(p).encoding);
          const dictionaryEncoding = DICTIONARY_DATA_ENCODING[file.encoding];
          if (hasDictionary) {
            assert.equal(pages[0].dictionary_page_header.encoding, DICTIONARY_PAGE_ENCODING[file.encoding], where);
            // Dictionary pages first; once a chunk falls back to PLAIN it stays PLAIN.
            const firstPlain = encodings.indexOf('PLAIN');
            if (firstPlain >= 0) {
              assert.ok(encodings.slice(firstPlain).every((e) => e === 'PLAIN'), `${where}: ${encodings}`);
            }
          } else {
            assert.ok(encodings.every((e) => e === 'PLAIN'), `${where}: without a dictionary, pages are PLAIN`);
          }
          if (file.encoding === 'plain') assert.ok(!hasDictionary, `${where}: EncodingType plain writes no dictionary`);
          if (file.expect.dictionary_columns?.includes(col.name)) {
            assert.ok(hasDictionary && encodings.every((e) => e === dictionaryEncoding), `${where}: ${encodings}`);
          }
          if (file.expect.fallback_columns?.includes(col.name) && g === 0) {
            assert.ok(hasDictionary && encodings[0] === dictionaryEncoding && encodings.at(-1) === 'PLAIN',
              `${where}: falls back from ${dictionaryEncoding} to PLAIN (${encodings})`);
          }
          if (file.expect.plain_columns?.includes(col.name)) {
            assert.ok(!hasDictionary && encodings.every((e) => e === 'PLAIN'), `${where}: ${encodings}`);
          }
          const listed = new Set(chunk.encodings);
          for (const e of encodings) assert.ok(listed.has(e), `${where}: ColumnMetaData.encodings lists ${e}`);
        });
      });
      if (file.dataset === 'all_types') assert.ok(multiPageChunks > 0, 'DataPageSize cuts some chunks into pages');
    });

    test(`StatisticsOf ${file.file}`, async () => {
      const hexParsers = { ...rawParsers, stringFromBytes: (b) => b && hex(b) };
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(filePath), { parsers: hexParsers });
      const duck = await duckdbRows(`SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value
        FROM parquet_metadata(${sqlString(filePath)})`);
      const ranges = rowGroupRanges(file);
      meta.row_groups.forEach((group, g) => {
        dataset.columns.forEach((col, c) => {
          const where = `${file.file} row group ${g} column ${col.name}`;
          const stats = group.columns[c].meta_data.statistics;
          if (!file.statistics) {
            assert.equal(stats, undefined, `${where}: EnableStatistics false writes no statistics`);
            return;
          }
          const values = dataset.values[c].slice(...ranges[g]);
          assert.equal(stats.null_count, BigInt(values.filter((v) => v === null).length), `${where}: null_count`);
          assert.equal(stats.distinct_count, undefined, `${where}: distinct_count is not written`);
          const want = expectedBounds(col, values);
          if (want === undefined) {
            assert.equal(stats.min_value, undefined, `${where}: no min_value without values`);
            assert.equal(stats.max_value, undefined, `${where}: no max_value without values`);
            return;
          }
          if (want.binary) {
            checkBinaryBounds(where, want, stats);
          } else if (want.decimal) {
            const row = duck.find((r) => Number(r.row_group_id) === g && r.path_in_schema === col.name);
            assert.equal(row.stats_min_value, want.min, `${where}: DECIMAL min as DuckDB reads it`);
            assert.equal(row.stats_max_value, want.max, `${where}: DECIMAL max as DuckDB reads it`);
          } else if (col.physical === 'FLOAT' || col.physical === 'DOUBLE') {
            assert.ok(Object.is(stats.min_value, want.min), `${where}: min_value ${stats.min_value} != ${want.min}`);
            assert.ok(Object.is(stats.max_value, want.max), `${where}: max_value ${stats.max_value} != ${want.max}`);
          } else {
            assert.equal(stats.min_value, want.min, `${where}: min_value`);
            assert.equal(stats.max_value, want.max, `${where}: max_value`);
            // Signed-order types also carry the deprecated min/max for older readers.
            assert.equal(stats.min, want.min, `${where}: deprecated min`);
            assert.equal(stats.max, want.max, `${where}: deprecated max`);
          }
        });
      });
    });
  }

  test('DuckDBReadsInfinitySentinelsAsInfinity', async () => {
    const f = sqlString(path.join(outDir, 'infinities.parquet'));
    const rows = await duckdbRows(`SELECT isinf(date) d, isinf(ts_us) a, isinf(ts_us_utc) b FROM read_parquet(${f})`);
    assert.deepEqual(rows.map((r) => [r.d, r.a, r.b]), [[true, true, true], [true, true, true], [false, false, false]]);
  });

  test('DuckDBUsesStatisticsToSkipRowGroupsCorrectly', async () => {
    // A filter on the int64 column: whatever DuckDB prunes with our min/max, the answer must be the true count.
    const file = expected.files.find((f) => f.file === 'all_types_v1_none_rle-dictionary.parquet');
    const dataset = expected.datasets.all_types;
    const c = dataset.columns.findIndex((col) => col.name === 'int64');
    const probe = dataset.values[c].filter((v) => v !== null).slice(0, 20);
    for (const v of probe) {
      const rows = await duckdbRows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(outDir, file.file))})
        WHERE int64 = ${v}`);
      assert.equal(Number(rows[0].n), dataset.values[c].filter((x) => x === v).length, `int64 = ${v}`);
    }
    const s = dataset.columns.findIndex((col) => col.name === 'text');
    const strings = dataset.values[s].filter((v) => typeof v === 'string').slice(0, 20);
    for (const v of strings) {
      const rows = await duckdbRows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(outDir, file.file))})
        WHERE text = ${sqlString(v)}`);
      assert.equal(Number(rows[0].n), dataset.values[s].filter((x) => x === v).length, `text = ${v}`);
    }
  });
}
