#!/usr/bin/env node
// Helper of bench/cdc_bench.sh: reads pgs3's change files back with DuckDB.
//
//   node bench/cdc_files.mjs count DIR
//       Every visible *.parquet under DIR (temporary names, which start with '.', and the _pgs3 folder are skipped):
//       prints one JSON line {"files", "rows", "ops": {"I": n, "U": n, "D": n}}.
//
//   DIR may also be the S3 test server's data directory (tests/tools/s3-server --data-dir): its objects are read in
//   place.
//
//   node bench/cdc_files.mjs watch DIR --column NAME [--commit-column NAME] --stop-file FILE [--poll-ms N]
//       Polls DIR (recursively) every N ms (default 5) until FILE exists. Each new visible *.parquet is stamped with
//       the wall time it was first seen, then its rows are read: latency = seen time - NAME (a timestamptz column
//       holding the row's commit wall time, clock_timestamp() in the generator). With --commit-column, the same from
//       that column (pgs3's TimestampColumnName: the transaction's commit time, "yyyy-MM-dd HH:mm:ss.SSSSSS" UTC).
//       When FILE appears, files still unseen are read one last time, then one JSON line is printed:
//       {"files", "rows", "latency_ms": {"p50", "p90", "p99", "max", "min"}, "commit_latency_ms": {...}|null,
//        "detect_lag_ms_max"} — detect_lag_ms_max is the longest poll pass (listing and reading) plus the poll
//       interval: a file can have been visible that long before it was seen.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { DuckDBInstance } from '../tests/tools/deps.mjs';

function usage(message) {
  if (message) process.stderr.write(`cdc_files: ${message}\n`);
  process.stderr.write('usage: node bench/cdc_files.mjs count DIR\n' +
    '       node bench/cdc_files.mjs watch DIR --column NAME [--commit-column NAME] --stop-file FILE [--poll-ms N]\n');
  process.exit(2);
}

const S3_OBJECT = '._S3rver_object';
const S3_METADATA = '._S3rver_metadata.json';

// Visible Parquet files under dir, as absolute paths (a missing dir has none yet).
function visibleParquet(dir) {
  const out = [];
  const walk = (d) => {
    let names;
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || name === '_pgs3') continue;
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;  // renamed or removed between readdir and stat
      }
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.parquet')) out.push(p);
      // The S3 test server's data directory (s3rver's layout): KEY._S3rver_object, visible once the server has
      // written KEY._S3rver_metadata.json after the bytes.
      else if (name.endsWith(S3_OBJECT) && name.slice(0, -S3_OBJECT.length).endsWith('.parquet') &&
               existsSync(p.slice(0, -S3_OBJECT.length) + S3_METADATA)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;

async function duckdb() {
  // No extension downloads: Parquet is built in.
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: '2',
  });
  return instance.connect();
}

async function count(dir) {
  const files = visibleParquet(dir);
  const ops = {};
  let rows = 0;
  if (files.length > 0) {
    const con = await duckdb();
    const list = `[${files.map(sqlString).join(', ')}]`;
    const r = await con.runAndReadAll(`SELECT "Op", count(*) FROM read_parquet(${list}, union_by_name = true) GROUP BY 1`);
    for (const [op, n] of r.getRows()) {
      ops[op] = Number(n);
      rows += Number(n);
    }
  }
  process.stdout.write(`${JSON.stringify({ files: files.length, rows, ops })}\n`);
}

function percentiles(values) {
  if (values.length === 0) return null;
  const v = Float64Array.from(values).sort();
  const at = (q) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  const r = (x) => Math.round(x * 10) / 10;
  return { p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(v[v.length - 1]), min: r(v[0]) };
}

async function watch(dir, { column, commitColumn, stopFile, pollMs }) {
  const con = await duckdb();
  const seen = new Map();  // path -> wall time first seen (ms, fractional)
  const latencies = [];
  const commitLatencies = [];
  let rows = 0;
  let longestPass = 0;

  const readFile = async (path, seenMs) => {
    const cols = [`epoch_us(${JSON.stringify(column)})`];
    if (commitColumn) cols.push(`epoch_us(strptime(${JSON.stringify(commitColumn)}, '%Y-%m-%d %H:%M:%S.%f'))`);
    const r = await con.runAndReadAll(
      `SELECT ${cols.join(', ')} FROM read_parquet(${sqlString(path)}) WHERE "Op" = 'I'`);
    for (const row of r.getRows()) {
      rows++;
      latencies.push(seenMs - Number(row[0]) / 1000);
      if (commitColumn) commitLatencies.push(seenMs - Number(row[1]) / 1000);
    }
  };

  const pass = async () => {
    const started = performance.timeOrigin + performance.now();
    const fresh = [];
    for (const p of visibleParquet(dir)) {
      if (!seen.has(p)) {
        seen.set(p, started);
        fresh.push(p);
      }
    }
    // Read after stamping every new file of this pass; the reads delay the next pass, so they count in the
    // resolution of "seen" (detect_lag_ms_max).
    for (const p of fresh) await readFile(p, seen.get(p));
    longestPass = Math.max(longestPass, performance.timeOrigin + performance.now() - started);
  };

  while (!existsSync(stopFile)) {
    await pass();
    await new Promise((r) => setTimeout(r, pollMs));
  }
  await pass();
  process.stdout.write(`${JSON.stringify({
    files: seen.size, rows, latency_ms: percentiles(latencies),
    commit_latency_ms: commitColumn ? percentiles(commitLatencies) : null,
    detect_lag_ms_max: Math.round(longestPass * 10) / 10 + pollMs,
  })}\n`);
}

const [cmd, dir, ...rest] = process.argv.slice(2);
if (!cmd || !dir) usage();
if (cmd === 'count') {
  await count(dir);
} else if (cmd === 'watch') {
  const opts = { column: null, commitColumn: null, stopFile: null, pollMs: 5 };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--column') opts.column = rest[++i];
    else if (a === '--commit-column') opts.commitColumn = rest[++i];
    else if (a === '--stop-file') opts.stopFile = rest[++i];
    else if (a === '--poll-ms') opts.pollMs = Number(rest[++i]);
    else usage(`unknown argument ${a}`);
  }
  if (!opts.column || !opts.stopFile || !(opts.pollMs > 0)) usage('watch needs --column and --stop-file');
  await watch(dir, opts);
} else {
  usage(`unknown command ${cmd}`);
}
