#!/usr/bin/env node
// Prints Parquet files read back with DuckDB: for each file its path, row count, columns with their types, and the
// first rows as a table.
//
//   node tests/tools/print_parquet.mjs [--rows N] FILE_OR_DIRECTORY...
//
// Directories are searched recursively for *.parquet files.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

function usage(message) {
  if (message) process.stderr.write(`print_parquet: ${message}\n`);
  process.stderr.write('usage: node tests/tools/print_parquet.mjs [--rows N] FILE_OR_DIRECTORY...\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let rows = 5;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rows') {
    rows = Number(args[++i]);
    if (!Number.isInteger(rows) || rows < 0) usage('--rows takes a non-negative integer');
  } else if (args[i] === '-h' || args[i] === '--help') {
    usage();
  } else {
    inputs.push(args[i]);
  }
}
if (inputs.length === 0) usage('no file or directory given');

function parquetFiles(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    usage(`${path} does not exist`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => {
    const p = join(path, name);
    if (statSync(p).isDirectory()) return parquetFiles(p);
    return name.endsWith('.parquet') ? [p] : [];
  });
}

const files = inputs.flatMap(parquetFiles);
if (files.length === 0) usage(`no .parquet files in ${inputs.join(', ')}`);

const quote = (s) => `'${s.replace(/'/g, "''")}'`;
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const instance = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false', autoload_known_extensions: 'false',
});
const con = await instance.connect();

for (const file of files) {
  const src = `read_parquet(${quote(file)})`;
  const count = (await con.runAndReadAll(`SELECT count(*) FROM ${src}`)).getRows()[0][0];
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRows();
  const names = desc.map((r) => String(r[0]));
  process.stdout.write(`\n== ${relative(process.cwd(), file) || file}: ${count} rows\n`);
  process.stdout.write(`   ${desc.map((r) => `${r[0]} ${r[1]}`).join(', ')}\n`);
  if (rows === 0 || names.length === 0) continue;
  const select = names.map((n) => `CAST("${n.replace(/"/g, '""')}" AS VARCHAR)`).join(', ');
  const data = (await con.runAndReadAll(`SELECT ${select} FROM ${src} LIMIT ${rows}`)).getRows()
    .map((r) => r.map((v) => (v === null ? 'NULL' : clip(String(v).replace(/\s+/g, ' '), 32))));
  const widths = names.map((n, j) => Math.max(clip(n, 32).length, ...data.map((r) => r[j].length)));
  const line = (cells) => `   ${cells.map((c, j) => c.padEnd(widths[j])).join(' | ')}\n`;
  process.stdout.write(line(names.map((n) => clip(n, 32))));
  process.stdout.write(`   ${widths.map((w) => '-'.repeat(w)).join('-+-')}\n`);
  for (const r of data) process.stdout.write(line(r));
}
