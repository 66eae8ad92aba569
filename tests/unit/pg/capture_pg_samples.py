#!/usr/bin/env python3
"""Regenerates pg_binary_samples.inc: PostgreSQL itself is the oracle for the binary decoders.

For each sample value this asks a running PostgreSQL server for
  - the column's type OID and typmod (from a scratch table's pg_attribute),
  - the value's COPY BINARY field bytes:   COPY (SELECT v) TO STDOUT (FORMAT binary),
  - the value's text output:               SELECT v         (DateStyle ISO, IntervalStyle postgres, TimeZone UTC),
  - an "oracle" text that PostgreSQL computes for the physical value pgs3 must produce (e.g. microseconds since
    1970 for a timestamp, the unscaled integer of a DECIMAL), so no expected value is typed by hand.

Usage: capture_pg_samples.py "host=127.0.0.1 port=55432 user=postgres dbname=postgres" > pg_binary_samples.inc
Needs psql on PATH. Creates and drops the schema pgs3_capture.
"""
import subprocess
import sys

SESSION = "SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; SET extra_float_digits = 3;"

# Oracle expressions over the value `v`, by kind. They compute what the decoder must output, in text.
EPOCH_MICROS = "trunc(extract(epoch from v) * 1000000)::text"
ORACLES = {
    "same": "v",  # the type's output function (v::text would strip a char(n)'s padding)
    "decimal": "CASE WHEN v = 'NaN' THEN NULL ELSE trunc(v * power(10::numeric, scale(v)))::text END",
    "money": "trunc(v::numeric * 10000)::text",
    "date": "CASE WHEN isfinite(v) THEN (v - date '1970-01-01')::text ELSE v::text END",
    "timestamp": f"CASE WHEN isfinite(v) THEN {EPOCH_MICROS} ELSE v::text END",
    "timestamp_millis": "CASE WHEN isfinite(v) THEN floor(extract(epoch from v) * 1000)::text ELSE v::text END",
    "time": EPOCH_MICROS,
    "timetz": "trunc(extract(epoch from (v AT TIME ZONE 'UTC')::time) * 1000000)::text",
    "bytea": "v::text",
}

# (SQL type, SQL literal, oracle kind, cast the value to text in the COPY like pgs3's fallback)
SAMPLES = [
    ("boolean", "true", "same"), ("boolean", "false", "same"),
    ("smallint", "-32768", "same"), ("smallint", "32767", "same"), ("smallint", "0", "same"),
    ("integer", "-2147483648", "same"), ("integer", "2147483647", "same"), ("integer", "-1", "same"),
    ("bigint", "-9223372036854775808", "same"), ("bigint", "9223372036854775807", "same"),
    ("real", "1.5", "same"), ("real", "-0", "same"), ("real", "NaN", "same"), ("real", "Infinity", "same"),
    ("real", "-Infinity", "same"), ("real", "3.4028235e38", "same"), ("real", "1e-45", "same"),
    ("real", "0.1", "same"),
    ("double precision", "0.1", "same"), ("double precision", "-0", "same"), ("double precision", "NaN", "same"),
    ("double precision", "Infinity", "same"), ("double precision", "-Infinity", "same"),
    ("double precision", "1.7976931348623157e308", "same"), ("double precision", "5e-324", "same"),
    ("double precision", "-123456.789e-300", "same"),
    ("numeric(10,2)", "123.45", "decimal"), ("numeric(10,2)", "-0.01", "decimal"), ("numeric(10,2)", "0", "decimal"),
    ("numeric(10,2)", "99999999.99", "decimal"), ("numeric(10,2)", "-99999999.99", "decimal"),
    ("numeric(10,2)", "10000", "decimal"), ("numeric(10,2)", "NaN", "decimal"),
    ("numeric(38,0)", "99999999999999999999999999999999999999", "decimal"),
    ("numeric(38,0)", "-99999999999999999999999999999999999999", "decimal"),
    ("numeric(38,0)", "10000000000000000000000000000000000000", "decimal"),
    ("numeric(38,38)", "0.99999999999999999999999999999999999999", "decimal"),
    ("numeric(38,38)", "-0.00000000000000000000000000000000000001", "decimal"),
    ("numeric(38,10)", "1234567890123456789012345678.0123456789", "decimal"),
    ("numeric(20,10)", "1234567890.0123456789", "decimal"),
    ("numeric(5,5)", "0.12345", "decimal"), ("numeric(1,0)", "-9", "decimal"), ("numeric(3,1)", "0.1", "decimal"),
    ("numeric", "0", "same"), ("numeric", "-0", "same"), ("numeric", "1e100", "same"), ("numeric", "1e-100", "same"),
    ("numeric", "-123.456", "same"), ("numeric", "0.000001", "same"), ("numeric", "1.10", "same"),
    ("numeric", "100000", "same"), ("numeric", "0.5", "same"), ("numeric", "10000.0001", "same"),
    ("numeric", "12345678901234567890123456789012345678901234567890.123", "same"),
    ("numeric", "-0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001", "same"),
    ("numeric", "9999", "same"), ("numeric", "1e-5", "same"), ("numeric", "123456789.000000000", "same"),
    ("numeric", "NaN", "same"), ("numeric", "Infinity", "same"), ("numeric", "-Infinity", "same"),
    ("numeric(50,2)", "12.3", "same"), ("numeric(5,-2)", "12345", "same"), ("numeric(3,5)", "0.00123", "same"),
    ("money", "12.34", "money"), ("money", "-92233720368547758.08", "money"),
    ("money", "92233720368547758.07", "money"), ("money", "0", "money"), ("money", "-0.01", "money"),
    ("text", "'héllo wörld ✓ 😀'", "same"), ("text", "''", "same"), ("varchar(10)", "'abc'", "same"),
    ("char(5)", "'ab'", "same"), ("name", "'pg_class'", "same"), ("citext", "'MiXeD Ça'", "same"),
    ("bytea", "'\\x00ff10'", "bytea"), ("bytea", "''", "bytea"),
    ("date", "'2024-02-29'", "date"), ("date", "'0001-01-01'", "date"), ("date", "'9999-12-31'", "date"),
    ("date", "'0044-03-15 BC'", "date"), ("date", "'4713-01-01 BC'", "date"), ("date", "'5874897-12-31'", "date"),
    ("date", "'1970-01-01'", "date"), ("date", "'1969-12-31'", "date"), ("date", "'2000-01-01'", "date"),
    ("date", "'infinity'", "date"), ("date", "'-infinity'", "date"),
    ("time", "'00:00:00'", "time"), ("time", "'13:45:00.123456'", "time"), ("time", "'23:59:59.999999'", "time"),
    ("time", "'24:00:00'", "time"),
    ("time with time zone", "'13:45:00+02'", "timetz"), ("time with time zone", "'01:00:00+05:30'", "timetz"),
    ("time with time zone", "'23:00:00-03'", "timetz"), ("time with time zone", "'12:00:00.5+00'", "timetz"),
    ("time with time zone", "'10:00:00-15:59'", "timetz"), ("time with time zone", "'00:30:00+15:59'", "timetz"),
    ("time with time zone", "'24:00:00+01'", "timetz"), ("time with time zone", "'00:00:00.000001-00:00:01'", "timetz"),
    ("timestamp", "'2024-02-29 13:45:00.123456'", "timestamp"), ("timestamp", "'1970-01-01 00:00:00'", "timestamp"),
    ("timestamp", "'1969-12-31 23:59:59.999999'", "timestamp"), ("timestamp", "'0001-01-01 00:00:00'", "timestamp"),
    ("timestamp", "'9999-12-31 23:59:59.999999'", "timestamp"),
    ("timestamp", "'0044-03-15 12:00:00 BC'", "timestamp"), ("timestamp", "'4714-11-24 00:00:00 BC'", "timestamp"),
    ("timestamp", "'infinity'", "timestamp"), ("timestamp", "'-infinity'", "timestamp"),
    ("timestamp with time zone", "'2024-02-29 13:45:00.123456+02'", "timestamp"),
    ("timestamp with time zone", "'1900-01-01 00:00:00-05:30'", "timestamp"),
    ("timestamp with time zone", "'infinity'", "timestamp"),
    ("timestamp with time zone", "'-infinity'", "timestamp"),
    ("timestamp", "'2024-02-29 13:45:00.123456'", "timestamp_millis"),
    ("timestamp", "'1969-12-31 23:59:59.999999'", "timestamp_millis"),
    ("timestamp", "'1969-12-31 23:59:59.9995'", "timestamp_millis"),
    ("timestamp", "'0044-03-15 12:00:00.0005 BC'", "timestamp_millis"),
    ("timestamp", "'infinity'", "timestamp_millis"), ("timestamp", "'-infinity'", "timestamp_millis"),
    ("timestamp with time zone", "'2024-02-29 13:45:00.999999+02'", "timestamp_millis"),
    ("interval", "'1 year 2 mons 3 days 04:05:06.5'", "same"), ("interval", "'-1 year -2 mons'", "same"),
    ("interval", "'1 mon -1 day'", "same"), ("interval", "'-1 day +02:03:04'", "same"),
    ("interval", "'00:00:00'", "same"), ("interval", "'-00:00:00.000001'", "same"), ("interval", "'1 day'", "same"),
    ("interval", "'-1 days -00:00:01'", "same"), ("interval", "'178000000 years'", "same"),
    ("interval", "'-178000000 years'", "same"), ("interval", "'2562047788:00:54.775807'", "same"),
    ("interval", "'-2562047788:00:54.775807'", "same"), ("interval", "'1 day 2 hours'", "same"),
    ("interval", "'14 mons'", "same"), ("interval", "'-14 mons 3 days -04:00:00'", "same"),
    ("interval", "'0.5 sec'", "same"), ("interval", "'100 hours'", "same"), ("interval", "'1 year -1 day'", "same"),
    ("interval", "'-1 year 1 mon'", "same"), ("interval", "'1 mon 1 day -00:00:00.1'", "same"),
    ("interval", "'12:34:56.000010'", "same"), ("interval", "'-2147483648 days'", "same"),
    ("interval", "'2147483647 days'", "same"), ("interval", "'-1 mons -1 days'", "same"),
    ("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "same"),
    ("uuid", "'00000000-0000-0000-0000-000000000000'", "same"),
    ("uuid", "'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'", "same"),
    ("json", "'{\"a\":  [1, 2.50, \"é\"]}'", "same"), ("jsonb", "'{\"b\": 1, \"a\": [1, 2.50, \"é\"]}'", "same"),
    ("jsonb", "'\"x\"'", "same"), ("jsonb", "'null'", "same"),
    ("pgs3_capture.mood", "'ok'", "same"), ("pgs3_capture.mood", "'😀 happy'", "same"),
    ("pgs3_capture.price", "12.5", "decimal"), ("pgs3_capture.label", "'domain text'", "same"),
    # Types without a native decoder: pgs3 selects "col"::text, so the binary value is the text output.
    ("integer[]", "'{1,2,NULL}'", "same", True), ("text[]", "'{\"a b\",\"c,d\",NULL}'", "same", True),
    ("inet", "'192.168.0.1/24'", "same", True), ("int4range", "'[1,10)'", "same", True),
    ("point", "'(1.5,2)'", "same", True), ("bit(4)", "B'1010'", "same", True),
    ("tsvector", "'a fat cat'", "same", True), ("xml", "'<a>x</a>'", "same", True),
    ("macaddr", "'08:00:2b:01:02:03'", "same", True), ("oid", "4294967295", "same", True),
    ("\"char\"", "'x'", "same", True), ("pgs3_capture.pair", "ROW(1, 'x y')", "same", True),
    ("timestamp[]", "ARRAY['2024-01-01 00:00:00'::timestamp, NULL]", "same", True),
]

SETUP = """
DROP SCHEMA IF EXISTS pgs3_capture CASCADE;
CREATE SCHEMA pgs3_capture;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE pgs3_capture.mood AS ENUM ('sad', 'ok', '😀 happy');
CREATE DOMAIN pgs3_capture.price AS numeric(12,3) NOT NULL;
CREATE DOMAIN pgs3_capture.label AS varchar(20);
CREATE TYPE pgs3_capture.pair AS (a int, b text);
"""


def psql(conninfo, sql, binary=False):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-d", conninfo,
                          "-c", SESSION + sql], check=True, capture_output=True)
    return out.stdout if binary else out.stdout.decode("utf-8")


def field_bytes(copy):
    assert copy[:11] == b"PGCOPY\n\xff\r\n\x00", copy[:11]
    ext = int.from_bytes(copy[15:19], "big")
    p = 19 + ext
    assert int.from_bytes(copy[p:p + 2], "big") == 1
    length = int.from_bytes(copy[p + 2:p + 6], "big", signed=True)
    assert length >= 0
    return copy[p + 6:p + 6 + length]


def c_string(text):
    out = []
    for b in text.encode("utf-8"):
        c = chr(b)
        if c == "\\" or c == '"':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7f:
            out.append(c)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def main():
    conninfo = sys.argv[1]
    psql(conninfo, SETUP)
    version = psql(conninfo, "SELECT version()").strip()
    print("// Generated by capture_pg_samples.py from " + version.split(" on ")[0] + "; do not edit by hand.")
    print("// { SQL type, base type OID, base typmod, base typtype, base typname, oracle kind, selected as text,")
    print("//   field bytes (hex), text output, oracle value (nullptr: NULL) }")
    for sample in SAMPLES:
        sql_type, literal, kind = sample[:3]
        as_text = len(sample) > 3 and sample[3]
        psql(conninfo, f"DROP TABLE IF EXISTS pgs3_capture.t; CREATE TABLE pgs3_capture.t (v {sql_type})")
        base_oid, base_typmod, typtype, typname = psql(conninfo, """
            SELECT b.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, b.typtype, b.typname
              FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              JOIN pg_type b ON b.oid = coalesce(nullif(t.typbasetype, 0), a.atttypid)
             WHERE a.attrelid = 'pgs3_capture.t'::regclass AND a.attname = 'v'""").strip().split("\x1f")
        if literal[0].isdigit() or literal[0] in "-N I":
            literal = "'" + literal + "'"  # typed literal: '-0'::real is negative zero, (-0)::real is not
        value = f"({literal})::{sql_type}"
        select = f"({value})::text" if as_text else value
        data = field_bytes(psql(conninfo, f"COPY (SELECT {select}) TO STDOUT (FORMAT binary)", binary=True))
        text, oracle = psql(conninfo, f"SELECT v, {ORACLES[kind]} FROM (SELECT {value} AS v) s")[:-1].split(
            "\x1f")
        oracle_c = "nullptr" if oracle == "" and kind == "decimal" else c_string(oracle)
        print("{%s, %s, %s, '%s', %s, %s, %s, %s, %s, %s}," % (
            c_string(sql_type), base_oid, base_typmod, typtype, c_string(typname), c_string(kind),
            "true" if as_text else "false",
            c_string(data.hex()), c_string(text), oracle_c))
    psql(conninfo, "DROP SCHEMA pgs3_capture CASCADE")


if __name__ == "__main__":
    main()
