// The source side of every comparison: what a table's columns are (through domains, down to the base type), what the
// README type-mapping table says each one becomes, and the table's rows in the canonical text form the files must
// match — computed by PostgreSQL itself (its own text output in a session with TimeZone UTC, DateStyle ISO,
// IntervalStyle postgres, shortest-exact floats, hex bytea), never by client-side parsing.
import { canonFloat, parseFloatText } from './pgtext.mjs';

// Column kinds, one per row of the README type-mapping table.
//   bool int16 int32 int64 float32 float64 decimal numeric_text money text bytea date time timetz timestamp
//   timestamptz string(everything printed as PostgreSQL's text output: interval, uuid, json, arrays, enums, ...)
const byTypeName = {
  bool: 'bool', int2: 'int16', int4: 'int32', int8: 'int64', float4: 'float32', float8: 'float64', money: 'money',
  bpchar: 'text', varchar: 'text', text: 'text', name: 'text', citext: 'text', bytea: 'bytea', date: 'date',
  time: 'time', timetz: 'timetz', timestamp: 'timestamp', timestamptz: 'timestamptz',
};

export const quoteIdent = (name) => '"' + String(name).replace(/"/g, '""') + '"';
export const qualified = (schema, table) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

// numeric's typmod: precision and scale (scale may be negative or above the precision since PostgreSQL 15).
function numericTypmod(typmod) {
  if (typmod < 4) return null;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: ((t & 0x7ff) ^ 1024) - 1024 };
}

/**
 * The columns of schema.table, in order: { name, declared, baseType, kind, precision, scale, notNull }.
 * `notNull` is the column's NOT NULL or any domain's NOT NULL along the chain (README: such columns are REQUIRED).
 */
export async function describeTable(client, schema, table) {
  const { rows } = await client.query(`
    WITH RECURSIVE chain(attnum, typid, typmod, nn, depth) AS (
      SELECT a.attnum, a.atttypid, a.atttypmod, a.attnotnull, 0
        FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT c.attnum, t.typbasetype, t.typtypmod, c.nn OR t.typnotnull, c.depth + 1
        FROM chain c JOIN pg_type t ON t.oid = c.typid
       WHERE t.typtype = 'd'
    ), base AS (
      SELECT DISTINCT ON (attnum) attnum, typid, typmod, nn FROM chain ORDER BY attnum, depth DESC
    )
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS declared, t.typname AS base_type,
           t.typtype AS typtype, t.typcategory AS category, b.typmod AS typmod, b.nn AS notnull
      FROM base b
      JOIN pg_attribute a ON a.attrelid = $1::regclass AND a.attnum = b.attnum
      JOIN pg_type t ON t.oid = b.typid
     ORDER BY b.attnum`, [qualified(schema, table)]);
  return rows.map((r) => {
    const col = { name: r.name, declared: r.declared, baseType: r.base_type, notNull: r.notnull === 't' };
    if (r.category === 'A') col.kind = 'string';
    else if (r.base_type === 'numeric') {
      const tm = numericTypmod(Number(r.typmod));
      if (tm && tm.precision >= 1 && tm.precision <= 38 && tm.scale >= 0 && tm.scale <= tm.precision) {
        Object.assign(col, { kind: 'decimal', precision: tm.precision, scale: tm.scale });
      } else {
        col.kind = 'numeric_text';
      }
    } else {
      col.kind = byTypeName[r.base_type] ?? 'string';
    }
    return col;
  });
}

/**
 * The SQL expression whose text output is the canonical value of a column in the given output format.
 * @param opts.format 'parquet' | 'csv'
 * @param opts.millis ParquetTimestampInMillisecond (Parquet only): timestamps truncated toward -infinity to ms
 */
export function canonicalExpr(col, { format, millis = false }) {
  const c = quoteIdent(col.name);
  const ms = millis && format === 'parquet';
  switch (col.kind) {
    case 'bool': return `${c}::text`;
    case 'money': return `${c}::numeric(38,4)`;
    // README: NaN / ±Infinity in numeric(p,s) cannot be held by DECIMAL and are written as NULL (nullable columns).
    case 'decimal': return format === 'parquet'
      ? `CASE WHEN ${c} IN ('NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric) THEN NULL ELSE ${c} END` : c;
    case 'timetz': return `(${c} AT TIME ZONE 'UTC')::time`;
    // date_trunc works on the broken-down time whose fractional second is never negative: a floor, as README says.
    case 'timestamp': return ms ? `date_trunc('milliseconds', ${c})` : c;
    case 'timestamptz': return ms ? `date_trunc('milliseconds', ${c} AT TIME ZONE 'UTC')` : `(${c} AT TIME ZONE 'UTC')`;
    default: return c;
  }
}

// The canonical form of one text value of a column kind (floats compare by value; everything else as text).
export function canonicalFromText(kind, text) {
  if (text === null || text === undefined) return null;
  if (kind === 'float32' || kind === 'float64') {
    const v = parseFloatText(text);
    return v === undefined ? `<not a float: ${text}>` : canonFloat(v, kind === 'float32' ? 32 : 64);
  }
  return text;
}

/**
 * The rows of schema.table as arrays of canonical strings (null for NULL), in the order of `orderBy` (SQL).
 * @param opts.where an optional SQL filter; opts.format / opts.millis as in canonicalExpr
 */
export async function sourceRows(client, schema, table, columns, { format, millis = false, where, orderBy } = {}) {
  if (columns.length === 0) return [];
  const list = columns.map((col, i) => `${canonicalExpr(col, { format, millis })} AS c${i}`).join(', ');
  const sql = `SELECT ${list} FROM ${qualified(schema, table)}${where ? ` WHERE ${where}` : ''}` +
    `${orderBy ? ` ORDER BY ${orderBy}` : ''}`;
  const { rows } = await client.query({ text: sql, rowMode: 'array' });
  return rows.map((r) => r.map((v, i) => canonicalFromText(columns[i].kind, v)));
}
