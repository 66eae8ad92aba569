// File rotation (MaxFileSize: several LOAD files whose rows add up, without duplicates) and a 1-million-row table
// (counts and aggregate checksums computed by PostgreSQL, by DuckDB and from hyparquet's values, plus a sample
// compared value by value).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { runFullLoad } from './harness/fullload.mjs';
import {
  canonFromPhysical, duckQuery, parquetInfo, readColumnsWithHyparquet, readWithDuckDB, sqlString,
} from './harness/parquet.mjs';
import { assertPgs3Works, selectionRule } from './harness/pgs3.mjs';
import { describeTable, sourceRows } from './harness/source.mjs';
import { bigIntFromBytes, decimalText } from './harness/pgtext.mjs';
import { assertSameRows, checkParquetFile, loadFiles } from './harness/verify.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA files;
    CREATE TABLE files.many (id int PRIMARY KEY, payload text, n bigint, at timestamp, amount numeric(12,2));
    INSERT INTO files.many
      SELECT g, md5(g::text) || md5((g * 31)::text), g * 1000003, timestamp '2020-01-01' + g * interval '17 seconds',
             g * 0.37
        FROM generate_series(1::bigint, 20000) g;

    CREATE TABLE files.million (id bigint, i int, f double precision, n numeric(18,4), t text, ts timestamp, d date,
                                b boolean);
    INSERT INTO files.million
      SELECT g, (g * 7919 % 1000003 - 500000)::int, CASE WHEN g % 97 = 0 THEN NULL ELSE g / 8.0 END, g * 1.2345,
             md5(g::text), timestamp '2000-01-01' + g * interval '1 second' + g * interval '1 microsecond',
             date '1970-01-01' + (g % 100000)::int, g % 3 = 0
        FROM generate_series(1::bigint, 1000000) g;
    ANALYZE files.million;
  `);
});
after(() => cluster?.stop());

// README: a new LOAD file starts when the current one reaches MaxFileSize, checked after each batch of up to
// RowGroupLength rows — so no file may exceed MaxFileSize by more than one batch (estimated from the average row
// size across the files, with a margin).
function assertFileSizes(files, { maxKb, rowGroupLength, rows }, label) {
  const sizes = files.map((f) => statSync(f).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const limit = maxKb * 1024 + Math.ceil((total / rows) * rowGroupLength * 1.5);
  sizes.forEach((size, i) => {
    assert.ok(size <= limit, `${label}: ${files[i]} is ${size} bytes; MaxFileSize ${maxKb} KB plus one batch of ` +
      `${rowGroupLength} rows allows at most ${limit}`);
  });
}

test('MaxFileSizeSplitsParquetIntoNumberedFilesWithoutLossOrDuplicates', async () => {
  const s3Settings = { DataFormat: 'parquet', MaxFileSize: 100, RowGroupLength: 1000 };
  const { results } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('files', 'many')],
    tables: [['files', 'many']], label: 'rotation-parquet' });
  const { files, rows } = results['files.many'];
  assert.ok(files.length >= 3, `expected several LOAD files for ~2 MB with MaxFileSize 100 KB, got ${files.length}`);
  assertFileSizes(files, { maxKb: 100, rowGroupLength: 1000, rows }, 'parquet');
});

test('MaxFileSizeSplitsCsvIntoNumberedFilesWithoutLossOrDuplicates', async () => {
  const s3Settings = { DataFormat: 'csv', MaxFileSize: 100, RowGroupLength: 500 };
  const { results } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('files', 'many')],
    tables: [['files', 'many']], label: 'rotation-csv' });
  const { files, rows } = results['files.many'];
  assert.ok(files.length >= 5, `expected many LOAD files for ~2 MB of CSV with MaxFileSize 100 KB, got ${files.length}`);
  assertFileSizes(files, { maxKb: 100, rowGroupLength: 500, rows }, 'csv');
});

test('MaxFileSizeSplitsGzippedCsv', async () => {
  const s3Settings = { DataFormat: 'csv', CompressionType: 'GZIP', MaxFileSize: 50, RowGroupLength: 500 };
  const { results } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('files', 'many')],
    tables: [['files', 'many']], label: 'rotation-csv-gzip' });
  assert.ok(results['files.many'].files.length >= 2, 'expected several .csv.gz files');
});

test('OneMillionRowsMatchCountsChecksumsAndASample', async () => {
  const s3Settings = { DataFormat: 'parquet', CompressionType: 'snappy' };
  // Checked below by counts and checksums rather than by a full value-by-value pass.
  const { targetDir } = await runFullLoad({ cluster, s3Settings, rules: [selectionRule('files', 'million')],
    tables: [], exactFolders: false, label: 'million-rows', timeoutMs: 300000 });
  const files = loadFiles(targetDir, 'it', 'files', 'million', s3Settings);
  assert.ok(files.length >= 1, 'no LOAD file for files.million');
  const client = await cluster.client();
  const columns = await describeTable(client, 'files', 'million');
  for (const f of files) checkParquetFile(f, await parquetInfo(f), columns, s3Settings, 'files', 'million');

  // The truth, computed by PostgreSQL.
  const [src] = await cluster.sql(`
    SELECT count(*) AS n, count(f) AS nf, sum(id) AS sid, sum(i) AS si, sum(f) AS sf, sum(n) AS sn,
           md5(string_agg(t, ',' ORDER BY id)) AS mt, sum((extract(epoch FROM ts) * 1000000)::bigint) AS sts,
           sum(d - date '1970-01-01') AS sd, count(*) FILTER (WHERE b) AS nb
      FROM files.million`);
  const expected = { ...src, sf: Number(src.sf) };

  // DuckDB over all the files.
  const list = `[${files.map(sqlString).join(', ')}]`;
  const { rows: [d] } = await duckQuery(`
    SELECT count(*), count(f), sum(id), sum(i), sum(f), sum(n), md5(string_agg(t, ',' ORDER BY id)),
           sum(epoch_us(ts)), sum(d - DATE '1970-01-01'), count(*) FILTER (WHERE b)
      FROM read_parquet(${list})`);
  const duck = {
    n: String(d[0]), nf: String(d[1]), sid: String(d[2]), si: String(d[3]), sf: d[4], sn: decimalText(d[5].value, d[5].scale),
    mt: d[6], sts: String(d[7]), sd: String(d[8]), nb: String(d[9]),
  };
  assert.deepEqual(duck, expected, 'DuckDB: counts and checksums differ from PostgreSQL');

  // hyparquet, column by column, summed here.
  let n = 0; let nf = 0; let sid = 0n; let si = 0n; let sf = 0; let sn = 0n; let sts = 0n; let sd = 0n; let nb = 0;
  const ids = [];
  const texts = [];
  const sample = [];
  for (const f of files) {
    const { info, data } = await readColumnsWithHyparquet(f);
    const col = (name) => info.columns.find((c) => c.name === name);
    assert.equal(col('n').logicalType?.scale ?? col('n').scale, 4);
    for (let r = 0; r < info.numRows; r++) {
      const id = BigInt(data.id[r]);
      n++;
      sid += id;
      si += BigInt(data.i[r]);
      if (data.f[r] !== null && data.f[r] !== undefined) { nf++; sf += data.f[r]; }
      sn += bigIntFromBytes(data.n[r]);
      sts += BigInt(data.ts[r]);
      sd += BigInt(data.d[r]);
      if (data.b[r]) nb++;
      ids.push(Number(id));
      texts.push(data.t[r]);
      if (id % 9973n === 0n) sample.push(info.columns.map((c) => canonFromPhysical(c, data[c.name][r])));
    }
  }
  const order = ids.map((_, k) => k).sort((a, b) => ids[a] - ids[b]);
  const md5 = createHash('md5');
  order.forEach((k, j) => md5.update(j === 0 ? texts[k] : `,${texts[k]}`));
  const hy = {
    n: String(n), nf: String(nf), sid: String(sid), si: String(si), sf, sn: decimalText(sn, 4), mt: md5.digest('hex'),
    sts: String(sts), sd: String(sd), nb: String(nb),
  };
  assert.deepEqual(hy, expected, 'hyparquet: counts and checksums differ from PostgreSQL');

  // A sample, value by value, through both readers.
  const names = columns.map((c) => c.name);
  const srcSample = await sourceRows(client, 'files', 'million', columns, { format: 'parquet', where: 'id % 9973 = 0' });
  assert.ok(srcSample.length > 50);
  assertSameRows(sample, srcSample, names, { label: 'files.million sample via hyparquet', keyIndex: 0 });
  const duckSample = await readWithDuckDB(files, { where: 'id % 9973 = 0' });
  assertSameRows(duckSample.rows, srcSample, names, { label: 'files.million sample via DuckDB', keyIndex: 0 });
});
