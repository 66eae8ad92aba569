// PostgreSQL's text output (DateStyle ISO, TimeZone UTC, shortest-exact floats, hex bytea), computed from the raw
// values a Parquet file holds — so that a value read from a file and the same value printed by PostgreSQL can be
// compared as strings, exactly. This is the README type-mapping table's "CSV text" column, which is also the
// canonical form every comparison in the integration tests uses.

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;
const MICROS_PER_DAY = 86400000000n;

// README: timestamp ±infinity are written as INT64_MAX and -INT64_MAX, date ±infinity as INT32_MAX and -INT32_MAX
// (in both MICROS and MILLIS), as DuckDB represents them. The one place the tests encode that choice.
export const TIMESTAMP_INFINITY = INT64_MAX;
export const TIMESTAMP_NEG_INFINITY = -INT64_MAX;
export const DATE_INFINITY = INT32_MAX;
export const DATE_NEG_INFINITY = -INT32_MAX;

const pad = (n, w) => String(n).padStart(w, '0');

function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

// Proleptic Gregorian civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse).
export function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return { y, m, d };
}

// Year 0 is 1 BC in PostgreSQL's output; years have at least 4 digits.
function datePart(days) {
  const { y, m, d } = civilFromDays(days);
  const bc = y <= 0;
  return { text: `${pad(bc ? 1 - y : y, 4)}-${pad(m, 2)}-${pad(d, 2)}`, bc };
}

// A DATE (days since the epoch) as PostgreSQL prints it: 2024-02-29, 0044-03-15 BC, infinity.
export function pgDate(days) {
  days = Number(days);
  if (days === DATE_INFINITY) return 'infinity';
  if (days === DATE_NEG_INFINITY) return '-infinity';
  const p = datePart(days);
  return p.bc ? `${p.text} BC` : p.text;
}

// A time of day in microseconds as PostgreSQL prints it: 13:45:00, 13:45:00.5, 24:00:00.
export function pgTime(micros) {
  micros = BigInt(micros);
  const h = micros / 3600000000n;
  const m = (micros / 60000000n) % 60n;
  const s = (micros / 1000000n) % 60n;
  const f = micros % 1000000n;
  let out = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  if (f !== 0n) out += '.' + pad(f, 6).replace(/0+$/, '');
  return out;
}

// A timestamp in microseconds since 1970-01-01 00:00:00 as PostgreSQL prints a `timestamp` (or a `timestamptz` in
// UTC, without the offset): 2024-02-29 13:45:00.123456, 0044-03-15 12:00:00 BC, infinity, -infinity.
export function pgTimestamp(micros) {
  micros = BigInt(micros);
  if (micros === TIMESTAMP_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_NEG_INFINITY) return '-infinity';
  const days = floorDiv(micros, MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  const p = datePart(Number(days));
  return `${p.text} ${pgTime(rest)}${p.bc ? ' BC' : ''}`;
}

// An unscaled integer and a scale as numeric(p,s) prints: (12345, 4) -> 1.2345, (5, 2) -> 0.05, (-1, 0) -> -1.
export function decimalText(unscaled, scale) {
  unscaled = BigInt(unscaled);
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale);
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

// A big-endian two's-complement integer (Parquet DECIMAL in FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY).
export function bigIntFromBytes(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

// bytea's hex output: \x followed by lowercase hex.
export function byteaText(bytes) {
  return '\\x' + Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length).toString('hex');
}

// The canonical form of a float value, for comparison: NaN, Infinity, -Infinity, -0, or JavaScript's shortest
// round-trip form of the (float32-rounded, for real) value.
export function canonFloat(x, bits) {
  if (typeof x !== 'number') x = Number(x);
  if (bits === 32) x = Math.fround(x);
  if (Number.isNaN(x)) return 'NaN';
  if (Object.is(x, -0)) return '-0';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

// Parses a float as PostgreSQL prints it (or a CSV writer wrote it): NaN, Infinity, -Infinity, 1.5, -0, 1e+100.
// Returns undefined for text that is not a number.
export function parseFloatText(text) {
  const t = text.trim();
  if (t === 'NaN') return NaN;
  if (t === 'Infinity' || t === '+Infinity' || t === 'inf') return Infinity;
  if (t === '-Infinity' || t === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

// Significant decimal digits in a float's text (1.50 -> 2, 0.001 -> 1, 1e+100 -> 1): a shortest-form check.
export function significantDigits(text) {
  const mantissa = text.replace(/^[+-]/, '').replace(/[eE].*$/, '').replace('.', '');
  const trimmed = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return trimmed.length;
}
