// The CDC side of the integration tests: CDC task files, pgs3 runs in the background (so that a test can signal
// them: SIGTERM, kill -9), a seeded random workload on three tables, stop positions, and the rebuild that checks a
// task's output — LOAD files, then each table's change files in name order (I insert, U replace by key, D delete by
// key) — against the source table, with the checks that catch a change written twice or lost:
//   - an I of a key already present, a D of a key not present, a U of a key not present (other than the U that
//     follows the D of a key change), a D whose values are not the key (default replica identity) or not the whole
//     current row (REPLICA IDENTITY FULL);
//   - the workload's `ver` column grows by one on every write of a row, so the I/U rows of one key must carry
//     strictly increasing `ver` values: a replayed change shows up as a repeated (or lower) ver, also in CSV files,
//     which carry no positions;
//   - Parquet change files carry pgs3.position.first / pgs3.position.last ("<commit LSN>:<seq>"): the files of a
//     table, in name order, must hold strictly increasing, non-overlapping ranges.
// The task's own state (<BucketFolder>/_pgs3/<taskId>/) is not part of the rebuild. PreserveTransactions' transaction
// files (one stream for all tables) are split into per-table change files first (splitTransactionFiles).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseCsv, readCsvText } from './csv.mjs';
import { pgs3Bin } from './env.mjs';
import { duckQuery, parquetInfo, readWithDuckDB, sqlString } from './parquet.mjs';
import { describeRun, fullLoadTask, makeTempDir, runPgs3, selectionRule } from './pgs3.mjs';
import { canonFloat, parseFloatText } from './pgtext.mjs';
import { downloadAll } from './s3.mjs';
import { describeTable, qualified, quoteIdent, sourceRows } from './source.mjs';
import { NULL_OR_EMPTY, dataFormatOf, fileExtension, tableDir } from './verify.mjs';

// ---------------------------------------------------------------------------------------------------------------
// Small utilities.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (sync or async; a truthy result ends the wait and is returned) until `timeoutMs` has passed. */
export async function waitFor(check, { timeoutMs = 30000, intervalMs = 100, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// Sleeps `ms`, or less when `cond` becomes true (checked every 100 ms).
export async function sleepUnless(cond, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !cond()) await sleep(Math.min(100, deadline - Date.now()));
}

// A small seeded PRNG (mulberry32): the workload's choices are reproducible from its seed.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
}

// The seed of a test: PGS3_IT_SEED when set (to reproduce a failure), else a fresh one; always printed.
export function testSeed(label) {
  const seed = process.env.PGS3_IT_SEED ? Number(process.env.PGS3_IT_SEED) : Math.floor(Math.random() * 2 ** 31);
  process.stderr.write(`# ${label}: seed ${seed} (rerun with PGS3_IT_SEED=${seed})\n`);
  return seed;
}

// LSNs as BigInt ("16/B374D848" -> 0x16B374D848n) and back.
export function lsnValue(text) {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(String(text));
  if (!m) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}
export function lsnText(v) {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

// A position "<commit LSN>:<seq>" → { lsn, seq } (BigInts); compare() orders them.
export function parsePosition(text) {
  const m = /^([0-9A-Fa-f]+\/[0-9A-Fa-f]+):(\d+)$/.exec(String(text ?? ''));
  if (!m) return null;
  return { lsn: lsnValue(m[1]), seq: BigInt(m[2]), text };
}
export function comparePositions(a, b) {
  if (a.lsn !== b.lsn) return a.lsn < b.lsn ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

// The WAL insert position: every transaction committed so far has its commit record below it. (Not
// pg_current_wal_lsn(), the write position: with synchronous_commit = off, as the test clusters run, a commit record
// can be inserted and not yet written, i.e. above pg_current_wal_lsn().)
export async function currentLsn(cluster) {
  const [r] = await cluster.sql('SELECT pg_current_wal_insert_lsn() AS lsn');
  return r.lsn;
}

// ---------------------------------------------------------------------------------------------------------------
// Tasks and runs.

// The slot and publication a task uses by default: pgs3_<taskId>, lower case, '-' → '_'.
export const defaultSlotName = (taskId) => `pgs3_${taskId}`.toLowerCase().replace(/-/g, '_');

// Drops the task's slot unless it is in use, so that a finished test's slot does not hold WAL for the next ones.
export async function dropSlotIfInactive(cluster, taskId) {
  await cluster.sql(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                      WHERE slot_name = $1 AND NOT active`, [defaultSlotName(taskId)]).catch(() => {});
}

/**
 * A CDC task into a local directory: fullLoadTask() with `migrationType` ('cdc' or 'full-load-and-cdc') and
 * CdcMaxBatchInterval 1 (files close within about a second), unless s3Settings says otherwise.
 */
export function cdcTask({ migrationType = 'full-load-and-cdc', s3Settings = {}, ...rest }) {
  const task = fullLoadTask({ ...rest, s3Settings: { CdcMaxBatchInterval: 1, ...s3Settings } });
  task.migrationType = migrationType;
  return task;
}

// PIDs of this process's children that run the pgs3 binary under test (from /proc: parent PID and executable).
function childPgs3Pids() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (cmdline[0] === pgs3Bin) out.push(Number(name));
    } catch { /* the process ended meanwhile */ }
  }
  return out;
}

/**
 * Starts `pgs3 run TASK.json [args]` in the background through runPgs3() (same environment, output recording and
 * password check). Returns { done: Promise<run result>, pid(): Promise<pid>, signal(name), finished() }.
 * signal() sends a signal by the child's PID, only while the run has not ended.
 */
export function startPgs3(task, opts = {}) {
  const known = new Set(childPgs3Pids());
  let ended = false;
  const done = runPgs3(task, opts).finally(() => { ended = true; });
  const pidPromise = (async () => {
    const deadline = Date.now() + 10000;
    for (;;) {
      const fresh = childPgs3Pids().filter((p) => !known.has(p));
      if (fresh.length > 0) return fresh[0];
      if (ended) return null;
      if (Date.now() > deadline) throw new Error('pgs3 did not appear among the child processes within 10 s');
      await sleep(5);
    }
  })();
  return {
    done,
    pid: () => pidPromise,
    finished: () => ended,
    async signal(name) {
      const pid = await pidPromise;
      if (pid === null || ended) return false;
      process.kill(pid, name);
      return true;
    },
  };
}

/** Throws (with what pgs3 printed) when a background run has already ended. */
export async function assertRunning(handle, what) {
  if (handle.finished()) assert.fail(`${what}: ${describeRun(await handle.done)}`);
}

/** Waits for a background run to end, at most `timeoutMs`; returns the run or throws naming `what`. */
export async function endWithin(handle, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: pgs3 still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const run = await Promise.race([handle.done, timeout]);
    // runPgs3's own timeout ends a run with SIGTERM, which pgs3 answers with exit 0: not a success here.
    if (run.timedOut) assert.fail(`${what}: pgs3 ran into the harness timeout and was stopped: ${describeRun(run)}`);
    return run;
  } finally {
    clearTimeout(timer);
  }
}

// The task's checkpoint, as stored in the target (null when there is none yet).
export function readCheckpoint(targetDir, bucketFolder, taskId) {
  const f = join(targetDir, bucketFolder, '_pgs3', taskId, 'checkpoint.json');
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Starts `task` (a local target) in the background with `cluster`'s environment and waits until it streams: its
 * checkpoint in phase "cdc", that is its full load over. `stop`: a planned --cdc-stop-position; `env`: added to the
 * cluster's environment. A run that ended or did not get there in time is killed and the wait throws naming
 * `label`. Returns the run's handle (startPgs3).
 */
export async function startStreaming(cluster, task, label,
  { stop, env = {}, timeoutMs = 150000, loadTimeoutMs = 60000 } = {}) {
  const args = stop ? ['--cdc-stop-position', stop] : [];
  const h = startPgs3(task, { env: { ...cluster.pgs3Env(), ...env }, args, timeoutMs, label });
  const bucketFolder = task.target.s3Settings?.BucketFolder ?? 'it';
  try {
    await waitFor(() => h.finished() || readCheckpoint(task.target.path, bucketFolder, task.taskId)?.phase === 'cdc',
      { timeoutMs: loadTimeoutMs, what: `${label}: the full load to finish (checkpoint phase "cdc")` });
    await assertRunning(h, `${label}: pgs3 ended before streaming`);
  } catch (e) {
    await h.signal('SIGKILL');
    await h.done.catch(() => {});
    throw e;
  }
  return h;
}

// The replication slot of a task on the server, or null.
export async function slotInfo(cluster, slotName) {
  const rows = await cluster.sql(`SELECT slot_name, plugin, active, active_pid, confirmed_flush_lsn
                                    FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
  return rows[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Stop positions.
//
// A plain LSN stop position ends a run before the first transaction whose commit LSN is at or past it. For a run
// that must start before the workload ends (CDC during the full load), the stop LSN is planned ahead: `planStop`
// returns an LSN `gapMb` beyond the current one; the workload must end before the WAL gets near it (Workload's
// `stopBeforeLsn`); `reachStop` then pushes the WAL past it (pg_switch_wal) and commits one row in the marker
// table, a selected table that the rebuild ignores, so that the stream certainly shows a transaction past the stop.

export const MARKER_TABLE = 'marker';

export async function planStop(cluster, gapMb = 96) {
  return lsnText(lsnValue(await currentLsn(cluster)) + BigInt(gapMb) * 1048576n);
}

export async function reachStop(cluster, stopLsn, schema = 'cdc') {
  const target = lsnValue(stopLsn);
  for (let i = 0; i < 64 && lsnValue(await currentLsn(cluster)) < target; i++) {
    // pg_switch_wal() moves to the next segment only when the current one has something in it.
    await cluster.sql(`INSERT INTO ${qualified(schema, 'wal_filler')} VALUES (${i}); SELECT pg_switch_wal()`);
  }
  assert.ok(lsnValue(await currentLsn(cluster)) >= target, `could not advance the WAL past ${stopLsn}`);
  await cluster.sql(`INSERT INTO ${qualified(schema, MARKER_TABLE)} VALUES (1)`);
}

// ---------------------------------------------------------------------------------------------------------------
// The workload's tables.
//
//   orders  composite key (region, id); plain columns.
//   docs    REPLICA IDENTITY FULL, `body` stored out of line (EXTERNAL, 2.5–8 KB): updates that leave it alone send
//           pgoutput's "unchanged TOAST" marker, which pgs3 must fill from the old row.
//   kinds   one column of most types the README maps (NULLs, NaN, -Infinity included).
// Every table has a unique `id` (kept unique across key changes: new ids come from a counter) and `ver`, 1 on
// insert and +1 on every update.

export const WORKLOAD_TABLES = ['orders', 'docs', 'kinds'];
const REGIONS = ['eu', 'us', 'ap', 'sa'];

export const kindsColumns = ['b', 'i2', 'i4', 'f8', 'f4', 'n', 'nu', 't', 'by', 'd', 'ts', 'tz', 'tm', 'u', 'j',
  'arr', 'iv'];
// The SQL expressions of kinds' columns from one integer expression `r`.
function kindsExprs(r) {
  return [
    `CASE WHEN ${r} % 13 = 0 THEN NULL ELSE ${r} % 2 = 0 END`,
    `(${r} % 65535 - 32767)::int2`,
    `(${r} % 2000000000 - 1000000000)::int4`,
    `CASE WHEN ${r} % 101 = 0 THEN 'NaN'::float8 WHEN ${r} % 103 = 0 THEN '-Infinity'::float8 ` +
      `ELSE ${r} / 7.0::float8 END`,
    `(${r} / 3.0)::float4`,
    `CASE WHEN ${r} % 17 = 0 THEN NULL ELSE ((${r} % 1000000000) / 1000.0)::numeric(12,3) END`,
    `CASE WHEN ${r} % 89 = 0 THEN 'NaN'::numeric ELSE ${r}::numeric / 7 END`,
    `'t-' || to_hex(${r})`,
    `decode(lpad(to_hex(${r}), 8, '0'), 'hex')`,
    `date '2000-01-01' + (${r} % 20000)::int`,
    `timestamp '2000-01-01' + (${r} % 700000000) * interval '1 second' + (${r} % 999983) * interval '1 microsecond'`,
    `timestamptz '2001-02-03 04:05:06+00' + (${r} % 90000000) * interval '1 second'`,
    `time '00:00' + (${r} % 86400000) * interval '1 millisecond'`,
    `md5(${r}::text)::uuid`,
    `jsonb_build_object('r', ${r}, 'k', ARRAY[${r} % 5, ${r} % 7])`,
    `ARRAY[${r} % 10, NULL, ${r} % 1000]::int[]`,
    `make_interval(0, 0, 0, (${r} % 40)::int, 0, 0, ((${r} % 1000) / 10.0)::float8)`,
  ];
}
const kindsSet = (r) => kindsColumns.map((c, i) => `${quoteIdent(c)} = ${kindsExprs(r)[i]}`).join(', ');
// A document body of `n` × 32 characters, from `r`: md5 text does not compress much, and EXTERNAL storage does not
// compress at all, so the value is stored out of line.
const bodyExpr = (r, n) => `(SELECT string_agg(md5((${r} + g)::text), '') FROM generate_series(1, ${n}) g)`;

/**
 * Creates schema `schema` with the workload tables (rows 1..counts[table]), the marker table and the WAL filler.
 * Returns the row counts (the ids used so far per table).
 */
export async function createWorkloadTables(cluster, { schema = 'cdc', orders = 200000, docs = 2000,
  kinds = 100000 } = {}) {
  const s = quoteIdent(schema);
  await cluster.sql(`
    CREATE SCHEMA ${s};
    CREATE TABLE ${s}.orders (region text NOT NULL, id int NOT NULL, qty int, note text, ver int NOT NULL,
                              PRIMARY KEY (region, id));
    CREATE TABLE ${s}.docs (id int PRIMARY KEY, title text, body text NOT NULL, ver int NOT NULL);
    ALTER TABLE ${s}.docs ALTER COLUMN body SET STORAGE EXTERNAL;
    ALTER TABLE ${s}.docs REPLICA IDENTITY FULL;
    CREATE TABLE ${s}.kinds (id bigint PRIMARY KEY, b bool, i2 smallint, i4 int, f8 double precision, f4 real,
                             n numeric(12,3), nu numeric, t varchar(40), "by" bytea, d date, ts timestamp,
                             tz timestamptz, tm time, u uuid, j jsonb, arr int[], iv interval, ver int NOT NULL);
    CREATE TABLE ${s}.${MARKER_TABLE} (id int PRIMARY KEY);
    CREATE TABLE ${s}.wal_filler (i int);
  `);
  if (orders > 0) {
    await cluster.sql(`INSERT INTO ${s}.orders
      SELECT (ARRAY['eu','us','ap','sa'])[1 + g % 4], g, g % 1000, 'note ' || g, 1 FROM generate_series(1, ${orders}) g`);
  }
  if (docs > 0) {
    await cluster.sql(`INSERT INTO ${s}.docs
      SELECT g, 'doc ' || g, ${bodyExpr('g * 1000', '80 + g % 170')}, 1 FROM generate_series(1, ${docs}) g`);
  }
  if (kinds > 0) {
    await cluster.sql(`INSERT INTO ${s}.kinds (id, ${kindsColumns.map(quoteIdent).join(', ')}, ver)
      SELECT g, ${kindsExprs('(g * 7919)').join(', ')}, 1 FROM generate_series(1, ${kinds}::bigint) g`);
  }
  await cluster.sql(`ANALYZE ${s}.orders, ${s}.docs, ${s}.kinds`);
  return { orders, docs, kinds };
}

// Selection rules for the workload tables and the marker table (not the WAL filler).
export function workloadRules(schema = 'cdc') {
  return [...WORKLOAD_TABLES, MARKER_TABLE].map((t) => selectionRule(schema, t));
}

// Creates the publication and slot a `cdc` task would create, ahead of it (pgs3 reuses them), so that changes made
// before pgs3 first runs are in the stream.
export async function createPublicationAndSlot(cluster, taskId, tables, schema = 'cdc') {
  const name = defaultSlotName(taskId);
  await cluster.sql(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ` +
    `${tables.map((t) => qualified(schema, t)).join(', ')} WITH (publish_via_partition_root = true)`);
  await cluster.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
  return name;
}

/**
 * A seeded random workload on the workload tables, by `workers` concurrent sessions: transactions of 1–6
 * statements over random tables (inserts, updates, key updates, deletes, small bulk statements), savepoints rolled
 * back to or released, 12% of transactions rolled back. Deadlocks between the sessions roll the transaction back.
 *   const w = new Workload(cluster, { seed, ids }); w.start(); ...; await w.stop();
 * `ids`: the ids used so far per table (createWorkloadTables' result). `stopBeforeLsn`: the workers end by
 * themselves once the WAL is within 8 MB of it (see planStop).
 */
export class Workload {
  constructor(cluster, { seed, ids, schema = 'cdc', workers = 2, pauseMs = 2, stopBeforeLsn, tables = WORKLOAD_TABLES,
    maxTransactions = Infinity } = {}) {
    this.cluster = cluster;
    this.schema = quoteIdent(schema);
    this.seed = seed;
    this.next = { orders: ids.orders + 1, docs: ids.docs + 1, kinds: ids.kinds + 1 };
    this.workers = workers;
    this.pauseMs = pauseMs;
    this.tables = tables;
    this.limitLsn = stopBeforeLsn ? lsnValue(stopBeforeLsn) - 8n * 1048576n : null;
    this.maxTransactions = maxTransactions;
    this.stats = { committed: 0, rolledBack: 0, savepointsRolledBack: 0, deadlocks: 0, statements: 0 };
    this.running = false;
    this.loops = [];
    this.error = null;
    this.paused = null;
    this.ordersExtra = false;
  }

  start() {
    this.running = true;
    for (let w = 0; w < this.workers; w++) this.loops.push(this.loop(w));
    return this;
  }

  // Ends the workers after their current transaction; rethrows a worker's unexpected error.
  async stop() {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    if (this.error) throw this.error;
    return this.stats;
  }

  // Holds the workers between transactions (e.g. while the server restarts); resume() lets them go on.
  async pause() {
    let release;
    this.paused = new Promise((resolve) => { release = resolve; });
    this.release_ = release;
    this.pausedCount = 0;
    await waitFor(() => this.pausedCount >= this.loops.length || !this.running,
      { timeoutMs: 30000, what: 'workload workers to pause' });
  }

  resume() {
    const r = this.release_;
    this.paused = null;
    this.release_ = null;
    r?.();
  }

  // Runs `sql` (DDL, a TRUNCATE; one transaction) while the workers are held between their transactions.
  async between(sql) {
    await this.pause();
    try {
      await this.cluster.sql(sql);
    } finally {
      this.resume();
    }
  }

  // ALTER TABLE orders ADD COLUMN extra text, after which some updates of orders set it.
  async addOrdersColumn() {
    await this.between(`ALTER TABLE ${this.schema}.orders ADD COLUMN extra text`);
    this.ordersExtra = true;
  }

  // One transaction that changes orders, truncates kinds and inserts new rows into it: the TRUNCATE removes kinds'
  // objects (HandleSourceTableTruncated), so its rebuild is what was written after it.
  async truncateKinds(rows = 50) {
    const s = this.schema;
    const first = this.fresh('kinds', rows);
    await this.between(`
      BEGIN;
      UPDATE ${s}.orders SET ver = ver + 1 WHERE id <= 5;
      TRUNCATE ${s}.kinds;
      INSERT INTO ${s}.kinds (id, ${kindsColumns.map(quoteIdent).join(', ')}, ver)
        SELECT g, ${kindsExprs('(g * 13)').join(', ')}, 1 FROM generate_series(${first}, ${first + rows - 1}::bigint) g;
      COMMIT;`);
  }

  // Runs until stopped (or the transaction budget is spent).
  async runFor(ms) {
    this.start();
    const deadline = Date.now() + ms;
    await waitFor(() => Date.now() >= deadline || !this.running || this.error, { timeoutMs: ms + 60000, intervalMs: 50 });
    return this.stop();
  }

  fresh(table, n = 1) {
    const id = this.next[table];
    this.next[table] += n;
    return id;
  }

  existing(r, table) {
    return r.int(1, this.next[table] - 1);
  }

  // One statement: [sql, params].
  statement(r) {
    const s = this.schema;
    const table = r.pick(this.tables);
    const x = r.int(1, 2 ** 30);
    const roll = r.next();
    if (table === 'orders') {
      if (roll < 0.25) return [`INSERT INTO ${s}.orders VALUES ($1, $2, $3, $4, 1)`, [r.pick(REGIONS), this.fresh('orders'), x % 1000, `n${x}`]];
      if (roll < 0.55 && this.ordersExtra) return [`UPDATE ${s}.orders SET qty = $2, note = $3, extra = $4, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'orders'), x % 1000, `u${x}`, `e${x % 97}`]];
      if (roll < 0.55) return [`UPDATE ${s}.orders SET qty = $2, note = $3, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'orders'), x % 1000, `u${x}`]];
      if (roll < 0.62) return [`UPDATE ${s}.orders SET region = $2, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'orders'), r.pick(REGIONS)]];
      if (roll < 0.69) return [`UPDATE ${s}.orders SET id = $2, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'orders'), this.fresh('orders')]];
      if (roll < 0.82) return [`DELETE FROM ${s}.orders WHERE id = $1`, [this.existing(r, 'orders')]];
      if (roll < 0.9) {
        const n = r.int(2, 40);
        const first = this.fresh('orders', n);
        return [`INSERT INTO ${s}.orders SELECT (ARRAY['eu','us','ap','sa'])[1 + g % 4], g, g % 7, 'bulk ' || g, 1
                   FROM generate_series($1::int, $2::int) g`, [first, first + n - 1]];
      }
      if (roll < 0.96) return [`UPDATE ${s}.orders SET qty = coalesce(qty, 0) + 1, ver = ver + 1 WHERE id BETWEEN $1 AND $1 + 30`, [this.existing(r, 'orders')]];
      return [`DELETE FROM ${s}.orders WHERE id BETWEEN $1 AND $1 + 8`, [this.existing(r, 'orders')]];
    }
    if (table === 'docs') {
      if (roll < 0.2) return [`INSERT INTO ${s}.docs VALUES ($1, $2, ${bodyExpr('$3::bigint', '$4::int')}, 1)`, [this.fresh('docs'), `t${x}`, x, r.int(80, 250)]];
      // The body is not touched: pgoutput sends it as an unchanged TOAST value.
      if (roll < 0.55) return [`UPDATE ${s}.docs SET title = $2, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'docs'), `t${x}`]];
      if (roll < 0.7) return [`UPDATE ${s}.docs SET body = ${bodyExpr('$2::bigint', '$3::int')}, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'docs'), x, r.int(80, 250)]];
      if (roll < 0.8) return [`UPDATE ${s}.docs SET id = $2, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'docs'), this.fresh('docs')]];
      if (roll < 0.9) return [`UPDATE ${s}.docs SET title = NULL, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'docs')]];
      return [`DELETE FROM ${s}.docs WHERE id = $1`, [this.existing(r, 'docs')]];
    }
    const cols = kindsColumns.map(quoteIdent).join(', ');
    if (roll < 0.25) return [`INSERT INTO ${s}.kinds (id, ${cols}, ver) SELECT $1::bigint, ${kindsExprs('$2::bigint').join(', ')}, 1`, [this.fresh('kinds'), x]];
    if (roll < 0.55) return [`UPDATE ${s}.kinds SET ${kindsSet('$2::bigint')}, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'kinds'), x]];
    if (roll < 0.62) return [`UPDATE ${s}.kinds SET id = $2, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'kinds'), this.fresh('kinds')]];
    if (roll < 0.7) return [`UPDATE ${s}.kinds SET f8 = f8 * 2, b = NULL, ver = ver + 1 WHERE id BETWEEN $1 AND $1 + 20`, [this.existing(r, 'kinds')]];
    if (roll < 0.85) return [`DELETE FROM ${s}.kinds WHERE id = $1`, [this.existing(r, 'kinds')]];
    return [`UPDATE ${s}.kinds SET t = NULL, j = NULL, ver = ver + 1 WHERE id = $1`, [this.existing(r, 'kinds')]];
  }

  async loop(w) {
    const r = rng((this.seed ^ (w * 0x9E3779B1)) >>> 0);
    let client = null;
    try {
      while (this.running) {
        if (this.paused) {
          if (client) {
            await client.end().catch(() => {});
            client = null;
          }
          this.pausedCount++;
          await this.paused;
        }
        if (this.stats.committed + this.stats.rolledBack >= this.maxTransactions) break;
        if (this.limitLsn !== null && (this.stats.committed % 25 === 0)) {
          if (!client) client = await this.cluster.connect();
          const { rows } = await client.query('SELECT pg_current_wal_insert_lsn() AS l');
          if (lsnValue(rows[0].l) >= this.limitLsn) break;
        }
        if (!client) client = await this.cluster.connect();
        await this.transaction(client, r);
        if (this.pauseMs > 0) await sleep(this.pauseMs);
      }
    } catch (e) {
      this.error = new Error(`workload worker ${w} (seed ${this.seed}): ${e.message}`);
      this.running = false;
    } finally {
      if (client) await client.end().catch(() => {});
    }
  }

  async transaction(client, r) {
    const n = r.int(1, 6);
    const savepointAt = r.chance(0.2) ? r.int(0, n - 1) : -1;
    const rollbackToSavepoint = r.chance(0.5);
    const rollback = r.chance(0.12);
    try {
      await client.query('BEGIN');
      for (let i = 0; i < n; i++) {
        if (i === savepointAt) await client.query('SAVEPOINT sp');
        const [sql, params] = this.statement(r);
        await client.query(sql, params);
        this.stats.statements++;
      }
      if (savepointAt >= 0) {
        if (rollbackToSavepoint) {
          await client.query('ROLLBACK TO SAVEPOINT sp');
          this.stats.savepointsRolledBack++;
          // Something after the rollback to the savepoint, in the same transaction.
          const [sql, params] = this.statement(r);
          await client.query(sql, params);
        } else {
          await client.query('RELEASE SAVEPOINT sp');
        }
      }
      if (rollback) {
        await client.query('ROLLBACK');
        this.stats.rolledBack++;
      } else {
        await client.query('COMMIT');
        this.stats.committed++;
      }
    } catch (e) {
      // Two sessions touching the same rows in opposite orders; the next transaction goes on.
      if (e.code === '40P01' || e.code === '40001') {
        this.stats.deadlocks++;
        await client.query('ROLLBACK');
        return;
      }
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a table's files.

const CHANGE_NAME = /^\d{8}-\d{9}$/;

/**
 * The files of a table: { load: [paths], changes: [paths in name order], unexpected: [names] }. Hidden temporary
 * files (a store's in-progress writes) are ignored; anything else that is neither a LOAD file nor a change file is
 * reported as unexpected.
 */
export function tableFiles(targetDir, bucketFolder, schema, table, settings) {
  const dir = tableDir(targetDir, bucketFolder, schema, table);
  const ext = fileExtension(settings);
  const out = { dir, load: [], changes: [], unexpected: [] };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    if (/^LOAD[0-9A-F]{8}/.test(name) && name.endsWith(ext)) out.load.push(join(dir, name));
    else if (name.endsWith(ext) && CHANGE_NAME.test(name.slice(0, -ext.length))) out.changes.push(join(dir, name));
    else out.unexpected.push(name);
  }
  return out;
}

/**
 * One file's rows as objects { column name → canonical text | null } plus the leading Op (change files) and its
 * metadata: { names, ops: [op|null], rows: [{...}], keyValue }.
 * Parquet is read with DuckDB (row order as in the file); CSV with our reader (header when AddColumnName, otherwise
 * the columns are `csvColumns`: Op, the timestamp column, then the table's columns of the time).
 */
export async function readTableFile(path, { settings, isChange, kinds, csvColumns }) {
  const tsName = settings.TimestampColumnName;
  const prefix = [];
  if (isChange || settings.IncludeOpForFullLoad) prefix.push('Op');
  if (tsName) prefix.push(tsName);
  let names;
  let rawRows;
  let keyValue = {};
  if (dataFormatOf(settings) === 'parquet') {
    const info = await parquetInfo(path);
    keyValue = info.keyValue;
    const d = await readWithDuckDB([path]);
    names = d.columns.map((c) => c.name);
    rawRows = d.rows;
  } else {
    let rows = parseCsv(readCsvText(path), { delimiter: settings.CsvDelimiter ?? ',',
      rowDelimiter: settings.CsvRowDelimiter ?? '\n', rfc4180: settings.Rfc4180 ?? true });
    if (settings.AddColumnName) {
      names = rows[0].map((f) => f.value);
      rows = rows.slice(1);
    } else {
      names = [...prefix, ...csvColumns];
    }
    const nullValue = settings.CsvNullValue ?? '';
    // A file written before an ALTER TABLE ADD COLUMN has the columns of then: the first ones of now (an added
    // column comes last). Every row of a file has the same fields.
    if (!settings.AddColumnName && rows.length > 0 && rows[0].length < names.length &&
        rows[0].length > prefix.length) {
      names = names.slice(0, rows[0].length);
    }
    rawRows = rows.map((fields, i) => {
      assert.equal(fields.length, names.length, `${path}: row ${i} has ${fields.length} fields, expected ` +
        `${names.length} (${names.join(', ')})`);
      return fields.map((f, j) => {
        if (!f.quoted && f.value === nullValue) return nullValue === '' ? NULL_OR_EMPTY : null;
        const kind = kinds[names[j]];
        if (kind === 'float32' || kind === 'float64') {
          const v = parseFloatText(f.value);
          return v === undefined ? `<not a float: ${f.value}>` : canonFloat(v, kind === 'float32' ? 32 : 64);
        }
        return f.value;
      });
    });
  }
  const prefixOk = prefix.every((p, i) => names[i] === p);
  assert.ok(prefixOk, `${path}: the first columns are ${JSON.stringify(names.slice(0, prefix.length))}, ` +
    `expected ${JSON.stringify(prefix)}`);
  const opIndex = prefix.indexOf('Op');
  const tsIndex = tsName ? prefix.indexOf(tsName) : -1;
  const tableNames = names.slice(prefix.length);
  const ops = [];
  const stamps = [];
  const rows = rawRows.map((r) => {
    ops.push(opIndex >= 0 ? r[opIndex] : null);
    if (tsIndex >= 0) stamps.push(r[tsIndex]);
    const o = {};
    tableNames.forEach((n, j) => { o[n] = r[prefix.length + j]; });
    return o;
  });
  return { names: tableNames, ops, stamps, rows, keyValue };
}

// The primary key columns of a table, in key order.
export async function primaryKey(cluster, schema, table) {
  const rows = await cluster.sql(`
    SELECT a.attname AS name FROM pg_index i
      JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.ord`, [qualified(schema, table)]);
  return rows.map((r) => r.name);
}

async function replicaIdentityFull(cluster, schema, table) {
  const [r] = await cluster.sql(`SELECT relreplident FROM pg_class WHERE oid = $1::regclass`, [qualified(schema, table)]);
  return r.relreplident === 'f';
}

const show = (v) => {
  if (v === null || v === undefined) return 'NULL';
  if (v === NULL_OR_EMPTY) return '<NULL or empty>';
  const s = JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 60)}…(${v.length} chars)…${s.slice(-20)}` : s;
};
const isNull = (v) => v === null || v === undefined || v === NULL_OR_EMPTY;
function same(a, b) {
  // An empty unquoted CSV field with CsvNullValue '' is NULL or '' (DMS's own ambiguity).
  if (a === NULL_OR_EMPTY) return isNull(b) || b === '';
  if (b === NULL_OR_EMPTY) return isNull(a) || a === '';
  return (a ?? null) === (b ?? null);
}

/**
 * Rebuilds a table from its files and compares it with the source.
 * @param o.cluster, o.targetDir, o.bucketFolder (default 'it'), o.schema, o.table, o.settings (s3Settings)
 * @param o.expectLoad true: the table must have LOAD files (full-load-and-cdc of a non-empty table); false: none
 * @param o.verCheck check that `ver` grows per key (default: when the table has a `ver` column)
 * @param o.commitWindow { startMs, endMs }: change rows' TimestampColumnName values must fall in it
 * @returns { problems: [string], stats } — and asserts that there are no problems
 */
export async function verifyCdcTable(o) {
  const { cluster, targetDir, bucketFolder = 'it', schema, table, settings } = o;
  const label = `${schema}.${table}`;
  const client = await cluster.client();
  const columns = await describeTable(client, schema, table);
  const names = columns.map((c) => c.name);
  const kinds = Object.fromEntries(columns.map((c) => [c.name, c.kind]));
  const key = o.key ?? await primaryKey(cluster, schema, table);
  const full = await replicaIdentityFull(cluster, schema, table);
  const verCheck = o.verCheck ?? names.includes('ver');
  const format = dataFormatOf(settings);
  const files = tableFiles(targetDir, bucketFolder, schema, table, settings);
  const problems = [];
  const problem = (msg) => { if (problems.length < 40) problems.push(msg); };
  const stats = { loadFiles: files.load.length, changeFiles: files.changes.length, loadRows: 0, I: 0, U: 0, D: 0 };

  if (files.unexpected.length > 0) problem(`unexpected objects in ${files.dir}: ${files.unexpected.join(', ')}`);
  if (o.expectLoad === true && files.load.length === 0) problem(`no LOAD files in ${files.dir}`);
  if (o.expectLoad === false && files.load.length > 0) problem(`LOAD files in ${files.dir}, expected none`);

  const current = new Map(); // key → row object
  const lastVer = new Map(); // key → the ver of its last I/U row
  const keyOf = (row) => JSON.stringify(key.map((k) => row[k] ?? null));
  const checkVer = (k, row, where) => {
    if (!verCheck || isNull(row.ver)) return;
    const v = Number(row.ver);
    const before = lastVer.get(k);
    if (before !== undefined && v <= before) {
      problem(`${where}: key ${k} has ver ${v} after ver ${before}: a change written twice (or out of order)`);
    }
    lastVer.set(k, v);
  };

  // Read with the columns of the table as they are now (CSV without header: the caller passes csvColumns).
  const csvColumns = o.csvColumns ?? names;
  for (const path of files.load) {
    const f = await readTableFile(path, { settings, isChange: false, kinds, csvColumns });
    f.rows.forEach((row, i) => {
      const k = keyOf(row);
      if (current.has(k)) problem(`${path} row ${i}: key ${k} is in the LOAD files twice`);
      current.set(k, row);
      checkVer(k, row, `${path} row ${i}`);
      stats.loadRows++;
    });
  }

  let previousLast = null;
  let previousFile = null;
  for (const path of files.changes) {
    const f = await readTableFile(path, { settings, isChange: true, kinds, csvColumns });
    if (f.rows.length === 0) problem(`${path}: an empty change file`);
    if (format === 'parquet') {
      const first = parsePosition(f.keyValue['pgs3.position.first']);
      const last = parsePosition(f.keyValue['pgs3.position.last']);
      if (!first || !last) {
        problem(`${path}: key-value metadata pgs3.position.first/last missing or malformed: ` +
          `${JSON.stringify(f.keyValue['pgs3.position.first'])} / ${JSON.stringify(f.keyValue['pgs3.position.last'])}`);
      } else {
        if (comparePositions(first, last) > 0) problem(`${path}: position range ${first.text} .. ${last.text} is reversed`);
        if (previousLast && comparePositions(first, previousLast) <= 0) {
          problem(`${path}: positions ${first.text} .. ${last.text} overlap or precede the previous file ` +
            `${previousFile} (last ${previousLast.text}): a change written twice, or files out of order`);
        }
        previousLast = last;
        previousFile = path;
      }
      for (const k of ['pgs3.source.schema', 'pgs3.source.table']) {
        const want = k.endsWith('schema') ? schema : table;
        if (f.keyValue[k] !== want) problem(`${path}: ${k} is ${show(f.keyValue[k])}, expected ${show(want)}`);
      }
    }
    if (settings.TimestampColumnName) {
      f.stamps.forEach((s, i) => {
        const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})$/.exec(s ?? '');
        if (!m) {
          problem(`${path} row ${i}: ${settings.TimestampColumnName} is ${show(s)}, expected yyyy-MM-dd HH:mm:ss.SSSSSS`);
        } else if (o.commitWindow) {
          // The transaction's commit time (UTC): within the test's own time window.
          const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + Number(m[7]) / 1000;
          if (t < o.commitWindow.startMs - 2000 || t > o.commitWindow.endMs + 2000) {
            problem(`${path} row ${i}: ${settings.TimestampColumnName} ${s} is not a commit time of this test ` +
              `(${new Date(o.commitWindow.startMs).toISOString()} .. ${new Date(o.commitWindow.endMs).toISOString()})`);
          }
        }
      });
    }
    f.rows.forEach((row, i) => {
      const where = `${path} row ${i}`;
      const op = f.ops[i];
      const k = keyOf(row);
      if (op === 'I') {
        stats.I++;
        if (current.has(k)) problem(`${where}: I of key ${k}, which is already there (an insert written twice?)`);
        current.set(k, row);
        checkVer(k, row, where);
      } else if (op === 'U') {
        stats.U++;
        const afterKeyDelete = i > 0 && f.ops[i - 1] === 'D';
        if (!current.has(k) && !afterKeyDelete) problem(`${where}: U of key ${k}, which is not there`);
        // A column the file does not have (an older schema) keeps nothing: the row is replaced as a whole.
        current.set(k, row);
        checkVer(k, row, where);
      } else if (op === 'D') {
        stats.D++;
        const old = current.get(k);
        if (!old) {
          problem(`${where}: D of key ${k}, which is not there (a delete written twice, or a lost insert)`);
        } else if (full) {
          // REPLICA IDENTITY FULL: the whole old row.
          for (const n of f.names) {
            if (n in old && !same(row[n], old[n])) {
              problem(`${where}: D of key ${k} (REPLICA IDENTITY FULL): column ${n} is ${show(row[n])}, the row ` +
                `had ${show(old[n])}`);
              break;
            }
          }
        } else {
          for (const n of f.names) {
            if (!key.includes(n) && !isNull(row[n])) {
              problem(`${where}: D of key ${k}: non-key column ${n} is ${show(row[n])}, expected NULL`);
              break;
            }
          }
        }
        current.delete(k);
      } else {
        problem(`${where}: Op is ${show(op)}, expected I, U or D`);
      }
    });
  }

  // The rebuilt table against the source, by key.
  const expected = await sourceRows(client, schema, table, columns, { format });
  const expectedByKey = new Map();
  for (const r of expected) {
    const obj = Object.fromEntries(names.map((n, i) => [n, r[i]]));
    expectedByKey.set(keyOf(obj), obj);
  }
  let diffs = 0;
  for (const [k, want] of expectedByKey) {
    const got = current.get(k);
    if (!got) {
      if (diffs++ < 10) problem(`key ${k} is in the source but not in the rebuild (a lost change)`);
      continue;
    }
    for (const n of names) {
      if (!same(got[n], want[n])) {
        if (diffs++ < 10) problem(`key ${k}: column ${n} is ${show(got[n])} in the rebuild, ${show(want[n])} in the source`);
        break;
      }
    }
  }
  for (const k of current.keys()) {
    if (!expectedByKey.has(k) && diffs++ < 10) problem(`key ${k} is in the rebuild but not in the source`);
  }
  if (diffs > 10) problems.push(`... ${diffs} differences in all`);
  stats.rows = expected.length;
  assert.ok(problems.length === 0, `${label}: the rebuild from ${files.load.length} LOAD and ${files.changes.length} ` +
    `change files differs from the source (${expected.length} rows):\n  ${problems.join('\n  ')}`);
  return { stats, files };
}

/**
 * Downloads the S3 test server's `lake/it/` and verifies every workload table of `schema` from it, with its LOAD files
 * (verifyWorkloadTables), and that nothing of the marker's transaction past the stop position was written.
 */
export async function verifyWorkloadInBucket(s3, { cluster, settings, schema, label }) {
  const dir = makeTempDir('pgs3-it-bucket-');
  await downloadAll(s3, 'lake', dir, 'it/');
  await verifyWorkloadTables({ cluster, targetDir: dir, settings, schema, expectLoad: true, label });
  assert.deepEqual(tableFiles(dir, 'it', schema, MARKER_TABLE, settings).changes, [],
    'the transaction past the stop position was not written');
  assert.deepEqual(await s3.server.listOpenUploads('lake'), [], `${label}: no multipart upload left open`);
}

/** Stops a test's workload and kills every pgs3 run it started (by PID), whatever state they are in. */
export async function stopEverything(workload, handles) {
  await workload?.stop().catch(() => {});
  for (const h of handles) {
    await h.signal('SIGKILL').catch(() => {});
    await h.done.catch(() => {});
  }
}

/** Verifies every workload table; all failures are reported together. Returns { table: stats }. */
export async function verifyWorkloadTables({ cluster, targetDir, bucketFolder = 'it', settings, schema = 'cdc',
  expectLoad, tables = WORKLOAD_TABLES, label = '', commitWindow }) {
  const failures = [];
  const out = {};
  for (const table of tables) {
    try {
      out[table] = (await verifyCdcTable({ cluster, targetDir, bucketFolder, schema, table, settings, commitWindow,
        expectLoad: typeof expectLoad === 'function' ? expectLoad(table) : expectLoad })).stats;
    } catch (e) {
      failures.push(e.message);
    }
  }
  assert.ok(failures.length === 0, `${label}\n${failures.join('\n')}`);
  return out;
}

/**
 * PreserveTransactions: copies the target to a new directory in which every transaction file
 * (<BucketFolder>/<CdcPath>/CDC_TXN-<yyyymmddhhmmssfff>.csv, rows "Op,table_name,database_schema_name,values...")
 * is split into one change file per table, <schema>/<table>/<yyyymmdd-hhmmssfff>.csv with rows "Op,values...", the
 * rows in the order they had — the layout the rebuild reads. Requires uncompressed CSV without AddColumnName.
 * Returns { dir, files: transaction files read, rows, tables: Set of "schema.table" }.
 */
export function splitTransactionFiles(targetDir, { bucketFolder = 'it', cdcPath, settings }) {
  const dir = makeTempDir('pgs3-it-split-');
  cpSync(targetDir, dir, { recursive: true });
  const txnDir = join(dir, bucketFolder, cdcPath);
  const delimiter = settings.CsvDelimiter ?? ',';
  const rowDelimiter = settings.CsvRowDelimiter ?? '\n';
  const rfc4180 = settings.Rfc4180 ?? true;
  const out = { dir, files: 0, rows: 0, tables: new Set() };
  if (!existsSync(txnDir)) return out;
  const field = (f) => (f.quoted ? `"${f.value.replace(/"/g, '""')}"` : f.value);
  for (const name of readdirSync(txnDir).sort()) {
    const m = /^CDC_TXN-(\d{8})(\d{9})\.csv$/.exec(name);
    assert.ok(m, `${txnDir}: unexpected object ${name} (transaction files are CDC_TXN-<17 digits>.csv)`);
    out.files++;
    const byTable = new Map();
    for (const row of parseCsv(readCsvText(join(txnDir, name)), { delimiter, rowDelimiter, rfc4180 })) {
      assert.ok(row.length >= 3, `${name}: a row with ${row.length} fields: ${JSON.stringify(row)}`);
      const [op, table, schema, ...values] = row;
      const key = `${schema.value}/${table.value}`;
      if (!byTable.has(key)) byTable.set(key, []);
      byTable.get(key).push([op, ...values].map(field).join(delimiter) + rowDelimiter);
      out.tables.add(`${schema.value}.${table.value}`);
      out.rows++;
    }
    for (const [key, lines] of byTable) {
      const tableDirectory = join(dir, bucketFolder, key);
      mkdirSync(tableDirectory, { recursive: true });
      writeFileSync(join(tableDirectory, `${m[1]}-${m[2]}.csv`), lines.join(''));
    }
  }
  rmSync(txnDir, { recursive: true });
  return out;
}

// Reads all Parquet files of a table with DuckDB's union_by_name (files with different columns); returns the
// column names and row count. An error here means DuckDB cannot combine the files.
export async function duckUnionByName(paths) {
  const list = `[${paths.map(sqlString).join(', ')}]`;
  const { columns, rows } = await duckQuery(`SELECT * FROM read_parquet(${list}, union_by_name = true, ` +
    'hive_partitioning = false)');
  return { columns: columns.map((c) => c.name), rows: rows.length };
}

// The column names of a Parquet file.
export async function parquetColumns(path) {
  return (await parquetInfo(path)).columns.map((c) => c.name);
}

export { makeTempDir };
