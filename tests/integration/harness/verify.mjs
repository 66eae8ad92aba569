// The comparison at the heart of the full-load tests: a source table against the files pgs3 wrote for it, value by
// value, through every independent reader (DuckDB and hyparquet for Parquet, our CSV parser for CSV), plus the file
// layout (DMS object names, numbering), the Parquet schema the README type-mapping table promises (physical and
// logical type, REQUIRED/OPTIONAL), pgs3's key-value metadata, and the codec / page version / encoding the settings
// asked for.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { parseCsv, readCsvText } from './csv.mjs';
import { pageTypes, parquetInfo, readWithDuckDB, readWithHyparquet } from './parquet.mjs';
import { canonFloat, parseFloatText, significantDigits } from './pgtext.mjs';
import { describeTable, sourceRows } from './source.mjs';

// A schema or table name as pgs3 writes it in object keys (README "Output layout", src/base/object_key.h): as-is,
// but '%', '/' and control characters percent-encoded, and "." / ".." / "_pgs3" as "%2E" / "%2E%2E" / "%5Fpgs3".
export function keySegment(name) {
  const whole = { '.': '%2E', '..': '%2E%2E', _pgs3: '%5Fpgs3' };
  if (Object.hasOwn(whole, name)) return whole[name];
  let out = '';
  for (const ch of name) {
    const c = ch.codePointAt(0);
    out += c === 0x25 || c === 0x2f || c < 0x20 || c === 0x7f ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

// The folder a table's files land in: <path>/<BucketFolder>/<schema>/<table>/ (names escaped by keySegment()).
export function tableDir(targetDir, bucketFolder, schema, table) {
  const parts = [keySegment(schema), keySegment(table)];
  return bucketFolder ? join(targetDir, bucketFolder, ...parts) : join(targetDir, ...parts);
}

export function dataFormatOf(settings) {
  return String(settings.DataFormat ?? 'csv').toLowerCase();
}

export function fileExtension(settings) {
  if (dataFormatOf(settings) === 'parquet') return '.parquet';
  return String(settings.CompressionType ?? 'none').toLowerCase() === 'gzip' ? '.csv.gz' : '.csv';
}

// The full-load files of a table, checked for DMS naming: LOAD00000001.<ext>, LOAD00000002.<ext>, ... counted in
// hexadecimal as DMS does (LOAD00000009, LOAD0000000A, ...), without gaps.
export function loadFiles(targetDir, bucketFolder, schema, table, settings) {
  const dir = tableDir(targetDir, bucketFolder, schema, table);
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).sort();
  const ext = fileExtension(settings);
  names.forEach((name, i) => {
    const expected = `LOAD${(i + 1).toString(16).toUpperCase().padStart(8, '0')}${ext}`;
    assert.equal(name, expected, `${dir}: file ${i + 1} is named ${name}, expected ${expected} (all: ${names.join(', ')})`);
  });
  return names.map((n) => join(dir, n));
}

// ---------------------------------------------------------------------------------------------------------------
// Expected Parquet schema (README type-mapping table).

function problemsForColumn(col, fileCol, { millis }) {
  const p = [];
  const where = `column ${JSON.stringify(col.name)} (${col.declared})`;
  const lt = fileCol.logicalType;
  const ct = fileCol.convertedType;
  const expectType = (t) => { if (fileCol.type !== t) p.push(`${where}: physical type ${fileCol.type}, expected ${t}`); };
  const isString = () => lt?.type === 'STRING' || (lt === undefined && ct === 'UTF8');
  switch (col.kind) {
    case 'bool': expectType('BOOLEAN'); break;
    case 'int16':
      expectType('INT32');
      if (!((lt?.type === 'INTEGER' && lt.bitWidth === 16 && lt.isSigned) || (lt === undefined && ct === 'INT_16'))) {
        p.push(`${where}: annotation ${JSON.stringify(lt ?? ct)}, expected INT(16, signed)`);
      }
      break;
    case 'int32':
    case 'int64': {
      const bits = col.kind === 'int32' ? 32 : 64;
      expectType(`INT${bits}`);
      const ok = (lt === undefined && (ct === undefined || ct === `INT_${bits}`)) ||
        (lt?.type === 'INTEGER' && lt.bitWidth === bits && lt.isSigned);
      if (!ok) p.push(`${where}: annotation ${JSON.stringify(lt ?? ct)}, expected none or INT(${bits}, signed)`);
      break;
    }
    case 'float32': expectType('FLOAT'); break;
    case 'float64': expectType('DOUBLE'); break;
    case 'decimal':
    case 'money': {
      const [precision, scale] = col.kind === 'money' ? [38, 4] : [col.precision, col.scale];
      expectType('FIXED_LEN_BYTE_ARRAY');
      if (fileCol.typeLength !== 16) p.push(`${where}: FIXED_LEN_BYTE_ARRAY(${fileCol.typeLength}), expected 16`);
      const fp = lt?.type === 'DECIMAL' ? lt.precision : (ct === 'DECIMAL' ? fileCol.precision : undefined);
      const fs = lt?.type === 'DECIMAL' ? lt.scale : (ct === 'DECIMAL' ? fileCol.scale : undefined);
      if (fp !== precision || fs !== scale) {
        p.push(`${where}: DECIMAL(${fp},${fs}), expected DECIMAL(${precision},${scale})`);
      }
      break;
    }
    case 'bytea':
      expectType('BYTE_ARRAY');
      if (lt !== undefined || ct !== undefined) p.push(`${where}: annotated ${JSON.stringify(lt ?? ct)}, expected none`);
      break;
    case 'date':
      expectType('INT32');
      if (!(lt?.type === 'DATE' || (lt === undefined && ct === 'DATE'))) p.push(`${where}: not annotated DATE`);
      break;
    case 'time':
    case 'timetz': {
      expectType('INT64');
      const utc = col.kind === 'timetz';
      if (!(lt?.type === 'TIME' && lt.unit === 'MICROS' && lt.isAdjustedToUTC === utc)) {
        p.push(`${where}: logical type ${JSON.stringify(lt)}, expected TIME(MICROS, isAdjustedToUTC=${utc})`);
      }
      break;
    }
    case 'timestamp':
    case 'timestamptz': {
      expectType('INT64');
      const utc = col.kind === 'timestamptz';
      const unit = millis ? 'MILLIS' : 'MICROS';
      if (!(lt?.type === 'TIMESTAMP' && lt.unit === unit && lt.isAdjustedToUTC === utc)) {
        p.push(`${where}: logical type ${JSON.stringify(lt)}, expected TIMESTAMP(${unit}, isAdjustedToUTC=${utc})`);
      }
      break;
    }
    default: // text, numeric_text, string
      expectType('BYTE_ARRAY');
      if (!isString()) p.push(`${where}: annotation ${JSON.stringify(lt ?? ct)}, expected STRING`);
  }
  const rep = col.notNull ? 'REQUIRED' : 'OPTIONAL';
  if (fileCol.repetition !== rep) p.push(`${where}: ${fileCol.repetition}, expected ${rep}`);
  return p;
}

// Extra columns pgs3 adds in front of the table's: Op (IncludeOpForFullLoad) and TimestampColumnName.
function prefixColumns(settings) {
  const out = [];
  if (settings.IncludeOpForFullLoad) out.push('Op');
  if (settings.TimestampColumnName) out.push(settings.TimestampColumnName);
  return out;
}

/** Problems (strings) with a file's schema against the table's columns and the settings; [] when all is right. */
export function parquetSchemaProblems(info, columns, settings) {
  const prefix = prefixColumns(settings);
  const names = info.columns.map((c) => c.name);
  const expectedNames = [...prefix, ...columns.map((c) => c.name)];
  if (JSON.stringify(names) !== JSON.stringify(expectedNames)) {
    return [`columns ${JSON.stringify(names)}, expected ${JSON.stringify(expectedNames)}`];
  }
  const problems = [];
  info.columns.slice(0, prefix.length).forEach((fc) => {
    const isString = fc.logicalType?.type === 'STRING' || (fc.logicalType === undefined && fc.convertedType === 'UTF8');
    if (fc.type !== 'BYTE_ARRAY' || !isString) problems.push(`column ${fc.name}: expected BYTE_ARRAY / STRING`);
  });
  columns.forEach((col, i) => {
    problems.push(...problemsForColumn(col, info.columns[prefix.length + i],
      { millis: Boolean(settings.ParquetTimestampInMillisecond) }));
  });
  return problems;
}

const codecNames = { none: 'UNCOMPRESSED', snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD' };

// Checks one Parquet file's description against the settings (codec, page version, encodings) and pgs3's metadata.
export function checkParquetFile(path, info, columns, settings, schema, table) {
  const problems = parquetSchemaProblems(info, columns, settings);
  assert.deepEqual(problems, [], `${path}: schema does not follow the README type mapping:\n  ${problems.join('\n  ')}`);

  assert.ok(info.keyValue['pgs3.version'], `${path}: key-value metadata lacks pgs3.version (${JSON.stringify(info.keyValue)})`);
  assert.equal(info.keyValue['pgs3.source.schema'], schema, `${path}: pgs3.source.schema`);
  assert.equal(info.keyValue['pgs3.source.table'], table, `${path}: pgs3.source.table`);

  const codec = codecNames[String(settings.CompressionType ?? 'none').toLowerCase()];
  for (const rg of info.rowGroups) {
    for (const c of rg.columns) {
      assert.equal(c.codec, codec, `${path}: column ${c.name} is compressed with ${c.codec}, CompressionType asks ${codec}`);
    }
  }
  const version = String(settings.ParquetVersion ?? 'parquet-1-0').toLowerCase().replace(/_/g, '-');
  const dataPage = version === 'parquet-2-0' ? 'DATA_PAGE_V2' : 'DATA_PAGE';
  const plain = String(settings.EncodingType ?? 'rle-dictionary').toLowerCase() === 'plain';
  for (const chunk of pageTypes(path, info)) {
    for (const pt of chunk.pages) {
      if (pt === 'DICTIONARY_PAGE') {
        assert.ok(!plain, `${path}: column ${chunk.column} has a dictionary page although EncodingType is plain`);
      } else {
        assert.equal(pt, dataPage, `${path}: column ${chunk.column} has a ${pt}, ParquetVersion ${version} asks ${dataPage}`);
      }
    }
  }
  if (plain) {
    for (const rg of info.rowGroups) {
      for (const c of rg.columns) {
        const dict = c.encodings.filter((e) => /DICTIONARY/.test(e));
        assert.deepEqual(dict, [], `${path}: column ${c.name} uses ${dict} although EncodingType is plain`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Row comparison.

// A CSV field that is empty and unquoted while the null value is the empty string: NULL or '' (DMS's own ambiguity).
export const NULL_OR_EMPTY = '\u0000<NULL or empty>';

const show = (v) => {
  if (v === null) return 'NULL';
  if (v === NULL_OR_EMPTY) return '<NULL or empty>';
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 120)}…(${v.length} chars)…${s.slice(-30)}` : s;
};

function cellMatches(actual, expected) {
  if (actual === NULL_OR_EMPTY) return expected === null || expected === '';
  return actual === expected;
}

function keyCompare(a, b) {
  if (a === b) return 0;
  if (a === null || a === NULL_OR_EMPTY) return -1;
  if (b === null || b === NULL_OR_EMPTY) return 1;
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

export function sortRows(rows, keyIndex) {
  if (keyIndex === undefined || keyIndex < 0) {
    return rows.map((r) => [JSON.stringify(r), r]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map((x) => x[1]);
  }
  return [...rows].sort((x, y) => keyCompare(x[keyIndex], y[keyIndex]));
}

/** Asserts that two row sets (arrays of canonical values) are equal, reporting the first differences by column. */
export function assertSameRows(actual, expected, names, { label, keyIndex }) {
  const a = sortRows(actual, keyIndex);
  const e = sortRows(expected, keyIndex);
  const diffs = [];
  if (a.length !== e.length) diffs.push(`${a.length} rows in the files, ${e.length} in the source`);
  const n = Math.min(a.length, e.length);
  for (let i = 0; i < n && diffs.length < 12; i++) {
    if (a[i].length !== e[i].length) {
      diffs.push(`row ${i}: ${a[i].length} values, expected ${e[i].length}`);
      continue;
    }
    for (let j = 0; j < e[i].length && diffs.length < 12; j++) {
      if (!cellMatches(a[i][j], e[i][j])) {
        const key = keyIndex >= 0 ? ` (${names[keyIndex]}=${show(e[i][keyIndex])})` : '';
        diffs.push(`row ${i}${key}, column ${JSON.stringify(names[j])}: got ${show(a[i][j])}, expected ${show(e[i][j])}`);
      }
    }
  }
  assert.ok(diffs.length === 0, `${label}: files differ from the source:\n  ${diffs.join('\n  ')}`);
}

const tsColumnPattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})$/;

// Checks and removes the prefix columns (Op, timestamp) of every row; returns the table-column part.
function stripPrefix(rows, settings, run, label) {
  const prefix = prefixColumns(settings);
  if (prefix.length === 0) return rows;
  return rows.map((r, i) => {
    let k = 0;
    if (settings.IncludeOpForFullLoad) {
      assert.equal(r[k], 'I', `${label}: row ${i}: Op is ${show(r[k])}, expected "I"`);
      k++;
    }
    if (settings.TimestampColumnName) {
      const v = r[k];
      const m = tsColumnPattern.exec(v ?? '');
      assert.ok(m, `${label}: row ${i}: ${settings.TimestampColumnName} is ${show(v)}, expected yyyy-MM-dd HH:mm:ss.SSSSSS`);
      if (run) {
        const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + Number(m[7]) / 1000;
        assert.ok(t >= run.startMs - 2000 && t <= run.endMs + 2000,
          `${label}: row ${i}: ${settings.TimestampColumnName} ${v} is not the load time ` +
          `(${new Date(run.startMs).toISOString()} .. ${new Date(run.endMs).toISOString()})`);
      }
      k++;
    }
    return r.slice(k);
  });
}

// CSV fields → canonical values of the given column kinds (prefix columns are kept as text).
function canonicalCsvRows(rows, kinds, settings, label) {
  const nullValue = settings.CsvNullValue ?? '';
  return rows.map((fields, i) => {
    assert.equal(fields.length, kinds.length,
      `${label}: CSV row ${i} has ${fields.length} fields, expected ${kinds.length}: ${show(fields.map((f) => f.value).join('|'))}`);
    return fields.map((f, j) => {
      if (!f.quoted && f.value === nullValue) return nullValue === '' ? NULL_OR_EMPTY : null;
      const kind = kinds[j];
      if (kind === 'float32' || kind === 'float64') {
        const v = parseFloatText(f.value);
        if (v === undefined) return `<not a float: ${f.value}>`;
        return canonFloat(v, kind === 'float32' ? 32 : 64);
      }
      return f.value;
    });
  });
}

// README: CSV floats are in shortest exact form — never more significant digits than PostgreSQL's own output.
function checkShortestFloats(csvRows, srcTextRows, kinds, label) {
  kinds.forEach((kind, j) => {
    if (kind !== 'float32' && kind !== 'float64') return;
    for (const [i, row] of csvRows.entries()) {
      const f = row[j];
      const src = srcTextRows.get(i)?.[j];
      if (!f || src === undefined || src === null || f.quoted) continue;
      if (/^[+-]?\d/.test(f.value) && /^[+-]?\d/.test(src)) {
        assert.ok(significantDigits(f.value) <= significantDigits(src),
          `${label}: CSV float ${f.value} is not in shortest form (PostgreSQL prints ${src})`);
      }
    }
  });
}

// Runs a check, collecting its message instead of stopping at the first failure.
async function collect(failures, check) {
  try {
    await check();
  } catch (e) {
    failures.push(e.message);
  }
}

/**
 * Verifies one table against its files.
 * @param o.cluster, o.targetDir, o.bucketFolder, o.schema, o.table
 * @param o.settings the task's s3Settings
 * @param o.key the key column to order rows by (default 'id'; null: order by whole rows)
 * @param o.run { startMs, endMs } of the pgs3 run (for TimestampColumnName)
 * @param o.readers for Parquet: ['duckdb', 'hyparquet'] (default both)
 * @returns { files, rows } the files and the number of source rows
 */
export async function verifyTable(o) {
  const { cluster, targetDir, bucketFolder = 'it', schema, table, settings = {}, run } = o;
  const key = o.key === undefined ? 'id' : o.key;
  const readers = o.readers ?? ['duckdb', 'hyparquet'];
  const label = `${schema}.${table}`;
  const client = await cluster.client();
  const columns = await describeTable(client, schema, table);
  const format = dataFormatOf(settings);
  const millis = Boolean(settings.ParquetTimestampInMillisecond);
  const files = loadFiles(targetDir, bucketFolder, schema, table, settings);
  const expected = await sourceRows(client, schema, table, columns, { format, millis });
  const names = columns.map((c) => c.name);
  const keyIndex = key === null ? -1 : names.indexOf(key);

  if (expected.length === 0) {
    assert.deepEqual(files, [], `${label} is empty: no file may be written for it`);
    return { files, rows: 0, columns };
  }
  assert.ok(files.length > 0, `${label}: no LOAD files in ${tableDir(targetDir, bucketFolder, schema, table)}`);

  if (format === 'parquet') {
    const hyRows = [];
    for (const f of files) {
      const info = await parquetInfo(f);
      checkParquetFile(f, info, columns, settings, schema, table);
      assert.ok(info.numRows > 0, `${f}: an empty file (every file must hold rows)`);
      if (readers.includes('hyparquet')) {
        const r = await readWithHyparquet(f);
        assert.equal(r.rows.length, info.numRows, `${f}: hyparquet read ${r.rows.length} rows, metadata says ${info.numRows}`);
        for (const row of r.rows) hyRows.push(row);  // not push(...rows): a big file overflows the stack
      }
    }
    // Every reader is compared, and all their differences reported together.
    const failures = [];
    if (readers.includes('hyparquet')) {
      await collect(failures, () => assertSameRows(stripPrefix(hyRows, settings, run, `${label} (hyparquet)`), expected, names,
        { label: `${label} via hyparquet`, keyIndex }));
    }
    if (readers.includes('duckdb')) {
      let d;
      try {
        d = await readWithDuckDB(files);
      } catch (e) {
        failures.push(`${label}: DuckDB cannot read the files: ${e.message}`);
      }
      if (d) {
        await collect(failures, () => assertSameRows(stripPrefix(d.rows, settings, run, `${label} (DuckDB)`), expected, names,
          { label: `${label} via DuckDB`, keyIndex }));
      }
    }
    assert.ok(failures.length === 0, failures.join('\n'));
  } else {
    const delimiter = settings.CsvDelimiter ?? ',';
    const rowDelimiter = settings.CsvRowDelimiter ?? '\n';
    const rfc4180 = settings.Rfc4180 ?? true;
    const prefix = prefixColumns(settings);
    const kinds = [...prefix.map(() => 'text'), ...columns.map((c) => c.kind)];
    const all = [];
    for (const f of files) {
      let rows = parseCsv(readCsvText(f), { delimiter, rowDelimiter, rfc4180 });
      if (settings.AddColumnName) {
        assert.ok(rows.length > 0, `${f}: no header row although AddColumnName is true`);
        assert.deepEqual(rows[0].map((x) => x.value), [...prefix, ...names], `${f}: header row`);
        rows = rows.slice(1);
      }
      assert.ok(rows.length > 0, `${f}: an empty file (every file must hold rows)`);
      for (const row of rows) all.push(row);
    }
    const canon = stripPrefix(canonicalCsvRows(all, kinds, settings, label), settings, run, `${label} (CSV)`);
    const failures = [];
    await collect(failures, () => assertSameRows(canon, expected, names, { label: `${label} via CSV`, keyIndex }));
    // Shortest-form check of the float text, against PostgreSQL's own text of the same row (matched by key).
    if (columns.some((c) => c.kind === 'float32' || c.kind === 'float64')) {
      // kind 'text': every column's plain text output, floats as PostgreSQL prints them.
      const rawText = await sourceRows(client, schema, table, columns.map((c) => ({ ...c, kind: 'text' })), { format });
      const srcByKey = new Map();
      for (const r of rawText) srcByKey.set(keyIndex >= 0 ? r[keyIndex] : JSON.stringify(r), r);
      const dataFields = all.map((r) => r.slice(prefix.length));
      const byRow = new Map();
      dataFields.forEach((r, i) => {
        const k = keyIndex >= 0 ? r[keyIndex]?.value : null;
        if (k !== null && k !== undefined && srcByKey.has(k)) byRow.set(i, srcByKey.get(k));
      });
      await collect(failures, () => checkShortestFloats(dataFields, byRow, columns.map((c) => c.kind), label));
    }
    assert.ok(failures.length === 0, failures.join('\n'));
  }
  return { files, rows: expected.length, columns };
}
