// Reads Parquet files with two independent readers — DuckDB (@duckdb/node-api, read_parquet on local files) and
// hyparquet — and turns every value into the canonical text form of pgtext.mjs, so rows compare exactly with the
// source. Also exposes the file's own description (schema, key-value metadata, codecs, encodings, page types) for
// checks against the README type-mapping table and the DMS settings.
import { readFileSync } from 'node:fs';

import {
  DuckDBInstance, asyncBufferFromFile, compressors, parquetHeader, parquetMetadataAsync, parquetRead,
} from '../../tools/deps.mjs';
import {
  INT32_MAX, INT64_MAX, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY, bigIntFromBytes, byteaText, canonFloat,
  decimalText, pgDate, pgTime, pgTimestamp,
} from './pgtext.mjs';

// DuckDB's smallest finite timestamp (290309-12-22 BC) and date (5877642-06-25 BC).
const DUCKDB_MIN_TIMESTAMP_US = -9223372022400000000n;
const DUCKDB_MIN_DATE_DAYS = -2147483646;

const jsonable = (o) => JSON.parse(JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));

// ---------------------------------------------------------------------------------------------------------------
// The file's description (hyparquet's metadata parser).

/**
 * { numRows, columns: [{ name, type, typeLength, repetition, convertedType, logicalType, precision, scale }],
 *   keyValue: {key: value}, rowGroups: [{ numRows, columns: [{ name, codec, encodings, dictionaryPageOffset,
 *   dataPageOffset, totalCompressedSize }] }], raw }
 */
export async function parquetInfo(path) {
  const file = await asyncBufferFromFile(path);
  const meta = await parquetMetadataAsync(file);
  const leaves = meta.schema.slice(1);
  const columns = leaves.map((e) => ({
    name: e.name, type: e.type, typeLength: e.type_length, repetition: e.repetition_type,
    convertedType: e.converted_type, logicalType: e.logical_type ? jsonable(e.logical_type) : undefined,
    precision: e.precision, scale: e.scale, numChildren: e.num_children,
  }));
  const keyValue = {};
  for (const kv of meta.key_value_metadata ?? []) keyValue[kv.key] = kv.value;
  const rowGroups = meta.row_groups.map((rg) => ({
    numRows: Number(rg.num_rows),
    columns: rg.columns.map((c) => ({
      name: c.meta_data.path_in_schema.join('.'), codec: c.meta_data.codec, encodings: c.meta_data.encodings,
      dictionaryPageOffset: c.meta_data.dictionary_page_offset === undefined ? undefined
        : Number(c.meta_data.dictionary_page_offset),
      dataPageOffset: Number(c.meta_data.data_page_offset),
      totalCompressedSize: Number(c.meta_data.total_compressed_size),
      numValues: Number(c.meta_data.num_values),
      statistics: c.meta_data.statistics,
    })),
  }));
  return { numRows: Number(meta.num_rows), columns, keyValue, rowGroups, createdBy: meta.created_by, raw: meta };
}

// The page types of every column chunk: [{ rowGroup, column, pages: ['DICTIONARY_PAGE', 'DATA_PAGE_V2', ...] }].
export function pageTypes(path, info) {
  const buf = readFileSync(path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = [];
  info.rowGroups.forEach((rg, gi) => {
    for (const c of rg.columns) {
      // Some writers store 0 for "no dictionary page"; a real dictionary page never starts at 0 (the magic does).
      const start = c.dictionaryPageOffset > 0 ? c.dictionaryPageOffset : c.dataPageOffset;
      const end = start + c.totalCompressedSize;
      const pages = [];
      let offset = start;
      while (offset < end) {
        const reader = { view, offset };
        const header = parquetHeader(reader);
        pages.push(header.type);
        offset = reader.offset + header.compressed_page_size;
      }
      out.push({ rowGroup: gi, column: c.name, pages });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical values from the file's physical values, according to the column's own annotation.

function isDecimal(col) {
  return col.convertedType === 'DECIMAL' || col.logicalType?.type === 'DECIMAL';
}

function timeUnitOf(col) {
  if (col.logicalType?.unit) return col.logicalType.unit;
  if (/_MILLIS$/.test(col.convertedType ?? '')) return 'MILLIS';
  if (/_MICROS$/.test(col.convertedType ?? '')) return 'MICROS';
  return undefined;
}

function toMicros(v, unit) {
  v = BigInt(v);
  if (unit === 'MILLIS') {
    // README: ±infinity have the same integers in MILLIS as in MICROS.
    if (v === TIMESTAMP_INFINITY || v === TIMESTAMP_NEG_INFINITY) return v;
    return v * 1000n;
  }
  if (unit === 'NANOS') return v / 1000n;
  return v;
}

// One physical value (as hyparquet returns it with the raw parsers below) → canonical text.
export function canonFromPhysical(col, v) {
  if (v === null || v === undefined) return null;
  if (isDecimal(col)) {
    const scale = col.logicalType?.scale ?? col.scale ?? 0;
    const unscaled = v instanceof Uint8Array ? bigIntFromBytes(v) : BigInt(v);
    return decimalText(unscaled, scale);
  }
  const lt = col.logicalType?.type;
  const ct = col.convertedType;
  switch (col.type) {
    case 'BOOLEAN': return v ? 'true' : 'false';
    case 'INT32':
      if (lt === 'DATE' || ct === 'DATE') return pgDate(v);
      if (lt === 'TIME' || ct === 'TIME_MILLIS') return pgTime(toMicros(v, timeUnitOf(col) ?? 'MILLIS'));
      return String(v);
    case 'INT64':
      if (lt === 'TIMESTAMP' || ct === 'TIMESTAMP_MICROS' || ct === 'TIMESTAMP_MILLIS') {
        return pgTimestamp(toMicros(v, timeUnitOf(col)));
      }
      if (lt === 'TIME' || ct === 'TIME_MICROS') return pgTime(toMicros(v, timeUnitOf(col)));
      return String(v);
    case 'FLOAT': return canonFloat(v, 32);
    case 'DOUBLE': return canonFloat(v, 64);
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      if (typeof v === 'string') return v;
      return byteaText(v);
    default:
      return `<unexpected physical type ${col.type}>`;
  }
}

// hyparquet parsers that keep the physical values (no Date objects, no JSON parsing), so nothing is lost.
const decoder = new TextDecoder('utf-8', { fatal: true });
const rawParsers = {
  timestampFromMilliseconds: (v) => v,
  timestampFromMicroseconds: (v) => v,
  timestampFromNanoseconds: (v) => v,
  dateFromDays: (v) => v,
  stringFromBytes: (b) => (b === undefined || b === null ? b : decoder.decode(b)),
  jsonFromBytes: (b) => (b === undefined || b === null ? b : decoder.decode(b)),
  uuidFromBytes: (b) => {
    if (!b) return b;
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
};

/**
 * Reads one file with hyparquet. Returns { columns: [names], rows: [[canonical text | null]], info }.
 * DECIMAL annotations are hidden from hyparquet (which would convert to a lossy Number) and decoded here instead.
 */
export async function readWithHyparquet(path) {
  const file = await asyncBufferFromFile(path);
  const info = await parquetInfo(path);
  const meta = info.raw;
  const schema = meta.schema.map((e) => (e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL'
    ? { ...e, converted_type: undefined, logical_type: undefined } : e));
  let rows = [];
  await parquetRead({
    file, metadata: { ...meta, schema }, compressors, utf8: false, parsers: rawParsers, rowFormat: 'array',
    onComplete: (r) => { rows = r; },
  });
  const cols = info.columns;
  return {
    columns: cols.map((c) => c.name),
    rows: rows.map((r) => cols.map((c, i) => canonFromPhysical(c, r[i]))),
    info,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// DuckDB.

let duck = null;
async function duckConnection() {
  if (!duck) {
    // Never fetch extensions: Parquet is built in, and the tests must not reach out to the network.
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: '2',
    });
    duck = await instance.connect();
  }
  return duck;
}

export const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;

// Runs a DuckDB query; returns { columns: [{name, type}], rows: [[DuckDB value]] }.
export async function duckQuery(sql) {
  const con = await duckConnection();
  const r = await con.runAndReadAll(sql);
  const columns = [];
  for (let i = 0; i < r.columnCount; i++) columns.push({ name: r.columnName(i), type: r.columnType(i).toString() });
  return { columns, rows: r.getRows() };
}

// One DuckDB value → canonical text, as DuckDB itself understands it: DuckDB's ±infinity are ±INT64_MAX (timestamps)
// and ±INT32_MAX (dates). A value DuckDB does not consider infinite but cannot represent either (such as INT64_MIN)
// is reported as such, so that "DuckDB reads them back as infinity" (README) is really checked.
export function canonFromDuck(type, v) {
  if (v === null || v === undefined) return null;
  const name = v?.constructor?.name;
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'number':
      if (type === 'FLOAT') return canonFloat(v, 32);
      if (type === 'DOUBLE') return canonFloat(v, 64);
      return String(v);
    case 'bigint': return String(v);
    case 'string': return v;
    default: break;
  }
  const duckTimestamp = (micros) => {
    if (micros === INT64_MAX) return 'infinity';
    if (micros === -INT64_MAX) return '-infinity';
    if (micros < DUCKDB_MIN_TIMESTAMP_US) return `<out of DuckDB's timestamp range: ${micros} µs, not -infinity>`;
    return pgTimestamp(micros);
  };
  switch (name) {
    case 'DuckDBDecimalValue': return decimalText(v.value, v.scale);
    case 'DuckDBDateValue':
      if (v.days === INT32_MAX) return 'infinity';
      if (v.days === -INT32_MAX) return '-infinity';
      if (v.days < DUCKDB_MIN_DATE_DAYS) return `<out of DuckDB's date range: ${v.days} days, not -infinity>`;
      return pgDate(v.days);
    case 'DuckDBTimestampValue':
    case 'DuckDBTimestampTZValue':
      return duckTimestamp(v.micros);
    case 'DuckDBTimestampMillisecondsValue':
      if (v.millis === INT64_MAX) return 'infinity';
      if (v.millis === -INT64_MAX) return '-infinity';
      return duckTimestamp(BigInt(v.millis) * 1000n);
    case 'DuckDBTimeValue': return pgTime(v.micros);
    case 'DuckDBTimeTZValue':
      return v.offset === 0 ? pgTime(v.micros) : `<time with offset ${v.offset}: ${v}>`;
    case 'DuckDBBlobValue': return byteaText(v.bytes);
    case 'DuckDBUUIDValue': return v.toString();
    default: return `<${name}: ${String(v)}>`;
  }
}

/**
 * Reads files with DuckDB's read_parquet. Returns { columns: [{name, type}], rows: [[canonical text | null]] }.
 * @param opts.where, opts.orderBy optional SQL clauses (DuckDB syntax) over the file columns
 */
export async function readWithDuckDB(paths, { where, orderBy, select = '*' } = {}) {
  const list = `[${paths.map(sqlString).join(', ')}]`;
  // hive_partitioning off: a folder named like "a=b" (a table name may hold '=') is not a partition column here.
  const { columns, rows } = await duckQuery(`SELECT ${select} FROM read_parquet(${list}, hive_partitioning = false)` +
    `${where ? ` WHERE ${where}` : ''}${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
  return { columns, rows: rows.map((r) => r.map((v, i) => canonFromDuck(columns[i].type, v))) };
}

/**
 * Reads whole columns of one file with hyparquet, column-wise (for large files): { info, data: {name: [physical]} }.
 * Values are the raw physical values (as canonFromPhysical takes them), DECIMAL undecoded.
 */
export async function readColumnsWithHyparquet(path, columnNames) {
  const file = await asyncBufferFromFile(path);
  const info = await parquetInfo(path);
  const meta = info.raw;
  const schema = meta.schema.map((e) => (e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL'
    ? { ...e, converted_type: undefined, logical_type: undefined } : e));
  const names = columnNames ?? info.columns.map((c) => c.name);
  const data = {};
  for (const n of names) data[n] = new Array(info.numRows);
  await parquetRead({
    file, metadata: { ...meta, schema }, compressors, utf8: false, parsers: rawParsers, columns: names,
    onChunk: ({ columnName, columnData, rowStart }) => {
      const out = data[columnName];
      for (let k = 0; k < columnData.length; k++) out[rowStart + k] = columnData[k];
    },
  });
  return { info, data };
}
