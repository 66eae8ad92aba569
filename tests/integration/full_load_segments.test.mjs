// Issue 13, item 1: a table's full load split into segments read in parallel inside one snapshot — by ctid block
// ranges by default, or as a DMS table-settings parallel-load rule says (ranges, partitions-auto,
// subpartitions-auto, partitions-list, none). Every table is rebuilt from its LOAD files by DuckDB and hyparquet
// and compared value by value with the source (verify.mjs: no row lost, none twice, LOAD files numbered without a
// gap); the log says how each table was split; a rule that cannot apply fails naming what to fix.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { endWithin, slotInfo, startPgs3, waitFor } from './harness/cdc.mjs';

import { startCluster } from './harness/cluster.mjs';
import { runFullLoad, tableFolders } from './harness/fullload.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, listFiles, makeTempDir, runPgs3, runPgs3Command, selectionRule,
  writeTaskFile,
} from './harness/pgs3.mjs';
import { loadFiles, verifyTable } from './harness/verify.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA seg;
    -- About 20 MB over ~2,600 blocks, with holes: deleted rows and rows moved by updates.
    CREATE TABLE seg.big (id int PRIMARY KEY, grp int, payload text);
    INSERT INTO seg.big SELECT g, g % 17, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)
      FROM generate_series(1, 150000) g;
    DELETE FROM seg.big WHERE id % 10 = 3;
    UPDATE seg.big SET payload = payload || '+' WHERE id % 10 = 7;
    -- No key, with rows that are exactly equal: compared as a multiset.
    CREATE TABLE seg.nokey (a int, b text);
    INSERT INTO seg.nokey SELECT g % 1000, repeat('x', 200) FROM generate_series(1, 40000) g;
    -- Range columns with nulls (DMS does not replicate such rows; pgs3 puts them in the last segment).
    CREATE TABLE seg.ranged (id int, day date, v text);
    INSERT INTO seg.ranged
      SELECT CASE WHEN g % 101 = 0 THEN NULL ELSE g END,
             CASE WHEN g % 37 = 0 THEN NULL ELSE date '2020-01-01' + (g % 400) END, 'v' || g
        FROM generate_series(1, 12000) g;
    -- A partitioned table with a sub-partitioned partition and a default partition.
    CREATE TABLE seg.parted (id int, region text, v text) PARTITION BY LIST (region);
    CREATE TABLE seg.p_eu PARTITION OF seg.parted FOR VALUES IN ('eu');
    CREATE TABLE seg.p_us PARTITION OF seg.parted FOR VALUES IN ('us') PARTITION BY RANGE (id);
    CREATE TABLE seg.p_us_lo PARTITION OF seg.p_us FOR VALUES FROM (MINVALUE) TO (5000);
    CREATE TABLE seg.p_us_hi PARTITION OF seg.p_us FOR VALUES FROM (5000) TO (MAXVALUE);
    CREATE TABLE seg.p_other PARTITION OF seg.parted DEFAULT;
    INSERT INTO seg.parted SELECT g, (ARRAY['eu', 'us', 'us', 'ap'])[g % 4 + 1], 'p' || g FROM generate_series(1, 10000) g;
    ANALYZE;
  `);
});
after(() => cluster?.stop());

let ruleIds = 100;
function parallelLoad(schema, table, parallel) {
  const id = String(++ruleIds);
  return { 'rule-type': 'table-settings', 'rule-id': id, 'rule-name': `segments-${id}`,
    'object-locator': { 'schema-name': schema, 'table-name': table }, 'parallel-load': parallel };
}

// The "full load of <table>: N segments (...)" log line of a table, or undefined when it was not split.
function segmentLine(run, table) {
  return run.logs.map((l) => String(l.msg ?? '')).find((m) => m.startsWith(`full load of ${table}: `));
}

const taskSettings = { FullLoadSettings: { MaxFullLoadSubTasks: 4 } };

test('LargeTablesAreSplitByCtidAndRebuildExactly', async () => {
  for (const DataFormat of ['parquet', 'csv']) {
    const { run, results } = await runFullLoad({ cluster, s3Settings: { DataFormat }, taskSettings,
      source: { fullLoadSegmentMB: 2 },
      rules: [selectionRule('seg', 'big'), selectionRule('seg', 'nokey')],
      tables: [['seg', 'big'], ['seg', 'nokey']], label: `ctid-${DataFormat}`,
      verifyOptions: {} });
    assert.match(segmentLine(run, 'seg.big') ?? '', /: 4 segments \(ctid block ranges/, `${DataFormat}: seg.big split`);
    assert.ok(results['seg.big'].files.length >= 4, `${DataFormat}: one LOAD file per segment at least`);
    assert.match(segmentLine(run, 'seg.nokey') ?? '', /: [2-4] segments/, `${DataFormat}: seg.nokey split`);
  }
  // The rows of the key-less table are compared as a multiset (verify.mjs orders whole rows).
  await runFullLoad({ cluster, taskSettings, source: { fullLoadSegmentMB: 1 }, rules: [selectionRule('seg', 'nokey')],
    tables: [['seg', 'nokey']], label: 'ctid-nokey', verifyOptions: { key: null } });
});

test('SmallTablesAndRuleNoneAreOneSegment', async () => {
  const { run } = await runFullLoad({ cluster, taskSettings, source: { fullLoadSegmentMB: 2 },
    rules: [selectionRule('seg', 'big'), selectionRule('seg', 'ranged'), parallelLoad('seg', 'big', { type: 'none' })],
    tables: [['seg', 'big'], ['seg', 'ranged']], label: 'none' });
  assert.equal(segmentLine(run, 'seg.big'), undefined, 'parallel-load none keeps seg.big whole');
  assert.equal(segmentLine(run, 'seg.ranged'), undefined, 'a table under two segments is not split');
});

test('RangesSegmentsKeepRowsWithNulls', async () => {
  const rule = parallelLoad('seg', 'ranged', { type: 'ranges', columns: ['id', 'day'],
    boundaries: [['3000', '2020-03-01'], ['3000', '2020-09-01'], [8000, '2019-01-01']] });
  const planned = await runPgs3Command(['preflight', writeTaskFile(fullLoadTask({ cluster, targetDir: makeTempDir('pgs3-it-target-'),
    rules: [selectionRule('seg', 'ranged'), rule] })), '--json'], { env: cluster.pgs3Env() });
  const check = JSON.parse(planned.stdout).checks.find((c) => c.name === 'full_load_plan');
  assert.equal(check?.status, 'pass', planned.stdout);
  assert.equal(check.detail, '1 table(s) in 4 segment(s); 1 split: seg.ranged in 4');
  const { run } = await runFullLoad({ cluster, taskSettings, rules: [selectionRule('seg', 'ranged'), rule],
    tables: [['seg', 'ranged']], label: 'ranges', verifyOptions: { key: null } });
  assert.match(segmentLine(run, 'seg.ranged') ?? '', /: 4 segments \(parallel-load ranges/);
});

test('PartitionRulesSplitAPartitionedTable', async () => {
  for (const [parallel, segments] of [
    [{ type: 'partitions-auto' }, 3],
    [{ type: 'subpartitions-auto' }, 4],
    [{ type: 'partitions-list', partitions: ['p_us_hi', 'p_eu'] }, 3],
  ]) {
    const { run } = await runFullLoad({ cluster, taskSettings,
      rules: [selectionRule('seg', 'parted'), parallelLoad('seg', 'parted', parallel)],
      tables: [['seg', 'parted']], label: parallel.type });
    assert.match(segmentLine(run, 'seg.parted') ?? '', new RegExp(`: ${segments} segments \\(parallel-load ${parallel.type}`),
      parallel.type);
  }
});

test('ARuleThatCannotApplyNamesWhatToFix', async () => {
  const cases = [
    [{ type: 'ranges', columns: ['id', 'dya'], boundaries: [['1', '2020-01-01']] }, 'ranged',
      /parallel-load\.columns names "dya", which is not a column of seg\.ranged/],
    [{ type: 'ranges', columns: ['id'], boundaries: [['5000'], ['10']] }, 'ranged',
      /boundaries\[1\] \["10"\] does not come after boundaries\[0\] \["5000"\]/],
    [{ type: 'ranges', columns: ['day'], boundaries: [['not a date']] }, 'ranged',
      /boundaries\[0\] \["not a date"\] is not a value of the columns \["day"\] of seg\.ranged/],
    [{ type: 'partitions-list', partitions: ['p_eu', 'p_mars'] }, 'parted', /"p_mars" is not a partition of seg\.parted/],
    [{ type: 'partitions-list', partitions: ['p_us', 'p_us_lo'] }, 'parted', /the partitions listed overlap/],
    [{ type: 'partitions-list', partitions: ['p1'] }, 'ranged', /seg\.ranged is not a partitioned table/],
  ];
  for (const [parallel, table, message] of cases) {
    const targetDir = makeTempDir('pgs3-it-target-');
    const task = fullLoadTask({ cluster, targetDir, taskSettings,
      rules: [selectionRule('seg', table), parallelLoad('seg', table, parallel)] });
    const checked = await runPgs3Command(['preflight', writeTaskFile(task), '--json'], { env: cluster.pgs3Env() });
    assert.equal(checked.code, 2, `preflight of ${message}: ${checked.stdout}`);
    const plan = JSON.parse(checked.stdout).checks.find((c) => c.name === 'full_load_plan');
    assert.equal(plan?.status, 'fail', `preflight of ${message}: ${checked.stdout}`);
    assert.match(plan.detail, message);
    const run = await runPgs3(task, { env: cluster.pgs3Env(), label: `bad-${parallel.type}` });
    assert.deepEqual(listFiles(targetDir), [], `${message}: nothing may be written`);
    assert.equal(run.code, 2, `${message}: ${describeRun(run)}`);
    const errors = run.logs.filter((l) => l.level === 'error').map((l) => String(l.msg)).join('\n');
    assert.match(errors, message);
    assert.match(errors, /tableMappings\.rules\[1\] \(rule-name "segments-\d+"\)/, 'the message names the rule');
  }
  // A full-load-and-cdc task stops the same way before it creates its slot.
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, taskSettings, taskId: 'bad-rule-cdc',
    rules: [selectionRule('seg', 'big'),
      parallelLoad('seg', 'big', { type: 'ranges', columns: ['nope'], boundaries: [['1']] })] });
  task.migrationType = 'full-load-and-cdc';
  const run = await runPgs3(task, { env: cluster.pgs3Env(), label: 'bad-rule-cdc' });
  assert.equal(run.code, 2, describeRun(run));
  assert.ok(run.logs.some((l) => /parallel-load\.columns names "nope", which is not a column of seg\.big/.test(String(l.msg))),
    describeRun(run));
  assert.equal(await slotInfo(cluster, 'pgs3_bad_rule_cdc'), null, 'no slot may be created');
});

// Issue 13, item 3: a full-load task killed with SIGKILL once some tables are loaded resumes: the rerun keeps the
// finished tables' LOAD files as they are (same inodes) and loads the others; every table then equals the source.
// --reload-target loads every table again.
test('AFullLoadKilledMidwayResumesWithTheTablesItFinished', { timeout: 180000 }, async () => {
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, taskId: 'resume-load', s3Settings: { DataFormat: 'parquet' },
    taskSettings: { FullLoadSettings: { MaxFullLoadSubTasks: 2 } }, source: { fullLoadSegmentMB: 0 },
    rules: [selectionRule('seg', 'big'), selectionRule('seg', 'nokey'), selectionRule('seg', 'ranged'),
      selectionRule('seg', 'parted')] });
  const progressFile = join(targetDir, 'it', '_pgs3', 'resume-load', 'full-load-progress.json');
  const finished = () => {
    try {
      return JSON.parse(readFileSync(progressFile, 'utf8')).tables.map((t) => t.table);
    } catch {
      return [];
    }
  };
  const h = startPgs3(task, { env: cluster.pgs3Env(), label: 'resume-1' });
  await waitFor(() => h.finished() || finished().length > 0, { timeoutMs: 60000, intervalMs: 5,
    what: 'a first table to be loaded' });
  const kept = finished();
  await h.signal('SIGKILL');
  const first = await endWithin(h, 10000, 'the SIGKILL');
  assert.equal(first.signal, 'SIGKILL', `the run ended before the kill: ${describeRun(first)}`);
  assert.ok(kept.length > 0 && kept.length < 4, `tables loaded before the kill: ${kept.join(' ')}`);
  const inodes = new Map();
  for (const table of kept) {
    for (const f of loadFiles(targetDir, 'it', 'seg', table, { DataFormat: 'parquet' })) inodes.set(f, statSync(f).ino);
  }
  const run = await runPgs3(task, { env: cluster.pgs3Env(), label: 'resume-2' });
  assert.equal(run.code, 0, describeRun(run));
  assert.ok(run.logs.some((l) => /^resuming the interrupted full load of task "resume-load": \d+ table\(s\) it finished are kept/.test(String(l.msg))),
    'the rerun says it resumes');
  for (const [f, ino] of inodes) assert.ok(existsSync(f) && statSync(f).ino === ino, `${f} was rewritten`);
  assert.ok(!existsSync(progressFile), 'the progress object is removed once the load is complete');
  for (const table of ['big', 'nokey', 'ranged', 'parted']) {
    await verifyTable({ cluster, targetDir, schema: 'seg', table, settings: { DataFormat: 'parquet' }, key: null });
  }
  assert.deepEqual(tableFolders(targetDir, 'it'), ['seg/big', 'seg/nokey', 'seg/parted', 'seg/ranged']);
  // A complete load leaves no progress: the next run (and one with --reload-target) loads every table.
  const again = await runPgs3(task, { env: cluster.pgs3Env(), label: 'resume-3', args: ['--reload-target'] });
  assert.equal(again.code, 0, describeRun(again));
  assert.ok(!again.logs.some((l) => /^resuming/.test(String(l.msg))), 'a complete load is not resumed');
  for (const [f, ino] of inodes) assert.ok(!existsSync(f) || statSync(f).ino !== ino, `${f} was kept by a new load`);
});
