// Schema, table and column names written as-is (mixed case, spaces, non-ASCII), DMS selection rules with wildcards
// (include and exclude), and a partitioned table read through its root.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { runFullLoad, tableFolders } from './harness/fullload.mjs';
import { assertPgs3Works, selectionRule } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA "Sales Data";
    CREATE TABLE "Sales Data"."Order Items" (id int PRIMARY KEY, "Product Name" text, "Amount €" numeric(10,2),
                                             "CamelCase" bool);
    INSERT INTO "Sales Data"."Order Items" SELECT g, 'product ' || g, g * 1.5, g % 2 = 0 FROM generate_series(1, 25) g;
    CREATE TABLE "Sales Data"."order items" (id int PRIMARY KEY, v text);
    INSERT INTO "Sales Data"."order items" VALUES (1, 'lower-case twin');

    CREATE SCHEMA "données";
    CREATE TABLE "données"."événements" (id int PRIMARY KEY, "libellé" text, "créé_le" timestamptz);
    INSERT INTO "données"."événements" VALUES (1, 'café ☕', '2024-05-01 10:00:00+02'), (2, 'naïve 日本', NULL);

    CREATE TABLE public."MixedCase" (id int PRIMARY KEY, "Value" text);
    INSERT INTO public."MixedCase" VALUES (1, 'x');
    CREATE TABLE public.plain (id int PRIMARY KEY);
    INSERT INTO public.plain VALUES (1), (2);

    CREATE SCHEMA sel_a;
    CREATE SCHEMA sel_b;
    CREATE SCHEMA other;
    CREATE TABLE sel_a.keep1 (id int PRIMARY KEY, v text);
    CREATE TABLE sel_a.tmp_scratch (id int PRIMARY KEY, v text);
    CREATE TABLE sel_b.keep2 (id int PRIMARY KEY, v text);
    CREATE TABLE sel_b.tmp_other (id int PRIMARY KEY, v text);
    CREATE TABLE other.keep3 (id int PRIMARY KEY, v text);
    CREATE TABLE sel_a.a_c (id int PRIMARY KEY);
    CREATE TABLE sel_a.abc (id int PRIMARY KEY);
    INSERT INTO sel_a.keep1 VALUES (1, 'k1');
    INSERT INTO sel_a.tmp_scratch VALUES (1, 't1');
    INSERT INTO sel_b.keep2 VALUES (1, 'k2'), (2, 'k2b');
    INSERT INTO sel_b.tmp_other VALUES (1, 't2');
    INSERT INTO other.keep3 VALUES (1, 'k3');
    INSERT INTO sel_a.a_c VALUES (1);
    INSERT INTO sel_a.abc VALUES (1);

    CREATE SCHEMA parts;
    CREATE TABLE parts.measurements (id int NOT NULL, taken date NOT NULL, value double precision)
      PARTITION BY RANGE (taken);
    CREATE TABLE parts.measurements_2023 PARTITION OF parts.measurements
      FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE TABLE parts.measurements_2024 PARTITION OF parts.measurements
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    INSERT INTO parts.measurements
      SELECT g, date '2023-06-01' + g, g / 3.0 FROM generate_series(1, 400) g;
  `);
});
after(() => cluster?.stop());

const parquet = { DataFormat: 'parquet' };

test('MixedCaseSpacedAndNonAsciiNamesAreWrittenAsIs', async () => {
  const rules = [selectionRule('Sales Data', 'Order Items'), selectionRule('données', 'événements'),
    selectionRule('public', 'MixedCase')];
  const tables = [['Sales Data', 'Order Items'], ['données', 'événements'], ['public', 'MixedCase']];
  await runFullLoad({ cluster, rules, tables, s3Settings: parquet, label: 'names-parquet' });
  await runFullLoad({ cluster, rules, tables, s3Settings: { DataFormat: 'csv', AddColumnName: true },
    label: 'names-csv' });
});

test('TableNamesAreCaseSensitive', async () => {
  await runFullLoad({ cluster, rules: [selectionRule('Sales Data', 'order items')],
    tables: [['Sales Data', 'order items']], s3Settings: parquet, label: 'names-case-sensitive' });
});

test('WildcardIncludeWithExclude', async () => {
  const rules = [selectionRule('sel%', '%'), selectionRule('%', 'tmp%', 'exclude')];
  await runFullLoad({ cluster, rules, s3Settings: parquet, label: 'selection-include-exclude',
    tables: [['sel_a', 'keep1'], ['sel_b', 'keep2'], ['sel_a', 'a_c'], ['sel_a', 'abc']] });
});

test('UnderscoreIsAWildcardBracketedUnderscoreAndExplicitRulesAreLiteral', async () => {
  // DMS wildcards: `_` matches one character, `[_]` only an underscore; explicit rules compare names literally.
  await runFullLoad({ cluster, rules: [selectionRule('sel_a', 'a_c')], tables: [['sel_a', 'a_c'], ['sel_a', 'abc']],
    s3Settings: parquet, label: 'selection-underscore-wildcard' });
  await runFullLoad({ cluster, rules: [selectionRule('sel[_]a', 'a[_]c')], tables: [['sel_a', 'a_c']],
    s3Settings: parquet, label: 'selection-underscore-bracketed' });
  await runFullLoad({ cluster, rules: [selectionRule('sel_a', 'a_c', 'explicit')], tables: [['sel_a', 'a_c']],
    s3Settings: parquet, label: 'selection-explicit' });
});

test('AnExcludeRuleWinsOverIncludeAndExplicit', async () => {
  const rules = [selectionRule('sel_a', '%'), selectionRule('sel_a', 'keep1', 'explicit'),
    selectionRule('sel_a', 'keep1', 'exclude')];
  await runFullLoad({ cluster, rules, s3Settings: parquet, label: 'selection-exclude-wins',
    tables: [['sel_a', 'tmp_scratch'], ['sel_a', 'a_c'], ['sel_a', 'abc']] });
});

test('PercentInBothPartsSelectsEveryUserTableAndNoSystemTable', async () => {
  const { targetDir } = await runFullLoad({ cluster, rules: [selectionRule('%', '%')], s3Settings: parquet,
    label: 'selection-everything', exactFolders: false,
    tables: [['Sales Data', 'Order Items'], ['Sales Data', 'order items'], ['données', 'événements'],
      ['public', 'MixedCase'], ['public', 'plain'], ['sel_a', 'keep1'], ['sel_a', 'tmp_scratch'],
      ['sel_b', 'keep2'], ['sel_b', 'tmp_other'], ['other', 'keep3'], ['sel_a', 'a_c'], ['sel_a', 'abc']] });
  const schemas = new Set(tableFolders(targetDir, 'it').map((f) => f.split('/')[0]));
  for (const sys of ['pg_catalog', 'information_schema', 'pg_toast']) {
    assert.ok(!schemas.has(sys), `system schema ${sys} was exported`);
  }
});

test('PartitionedTableIsReadThroughItsRoot', async () => {
  await runFullLoad({ cluster, rules: [selectionRule('parts', 'measurements')], tables: [['parts', 'measurements']],
    s3Settings: parquet, label: 'partitioned-root' });
});
