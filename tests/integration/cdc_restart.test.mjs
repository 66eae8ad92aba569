// CDC across faults (issue 3 "Exactly-once across restarts", DESIGN.md §3 invariants 2, 3 and 6): the workload of
// cdc_workload.test.mjs while pgs3 is killed with SIGKILL at random moments of streaming (twice) and run again; while
// PostgreSQL restarts (fast shutdown, then start on the same port: pgs3 reconnects and finishes); after SIGTERM
// (exit 0 within 10 s, and a rerun continues); with SIGKILL during the full load of a full-load-and-cdc task (the
// rerun loads again); and with SIGKILL during a segmented full load once some tables are loaded (the rerun keeps
// them and loads the others in a temporary slot's snapshot, issue 13). Every run ends at a stop position planned ahead; then each table rebuilt from its files must
// equal the source, with no change written twice. The kill moments come from the seed (PGS3_IT_SEED reruns them).
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { after, before, test } from 'node:test';

import {
  MARKER_TABLE, WORKLOAD_TABLES, Workload, assertRunning, cdcTask, createWorkloadTables, defaultSlotName,
  dropSlotIfInactive, endWithin, makeTempDir, planStop, reachStop, readCheckpoint, rng, sleep, sleepUnless, slotInfo,
  splitTransactionFiles, startPgs3, tableFiles, testSeed, verifyWorkloadTables, waitFor, workloadRules,
} from './harness/cdc.mjs';
import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, describeRun, runPgs3Command, writeTaskFile } from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
});
after(() => cluster?.stop());

// One scenario's shared state: tables, the planned stop, the task, the workload, and the runs (each run is killed on
// a failure so that nothing outlives the test).
async function scenario({ schema, taskId, label, s3Settings = { DataFormat: 'parquet' },
  sizes = { orders: 30000, docs: 500, kinds: 5000 }, source, taskSettings }) {
  const seed = testSeed(label);
  const ids = await createWorkloadTables(cluster, { schema, ...sizes });
  const stop = await planStop(cluster);
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = cdcTask({ cluster, targetDir, taskId, migrationType: 'full-load-and-cdc', s3Settings,
    rules: workloadRules(schema), source, taskSettings });
  const workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop });
  const handles = [];
  let runs = 0;
  const s = {
    seed, stop, targetDir, task, workload, r: rng(seed ^ 0x5bd1e995),
    start(extraArgs = []) {
      const h = startPgs3(task, { env: cluster.pgs3Env(), args: ['--cdc-stop-position', stop, ...extraArgs],
        timeoutMs: 150000, label: `${label}-run${++runs}` });
      handles.push(h);
      return h;
    },
    streaming: (h) => waitFor(() => h.finished() || readCheckpoint(targetDir, 'it', taskId)?.phase === 'cdc',
      { timeoutMs: 90000, what: `${label}: the full load to finish (checkpoint phase "cdc")` }),
    async kill9(h, what) {
      await assertRunning(h, `${label}: pgs3 ended before ${what}`);
      await h.signal('SIGKILL');
      const run = await endWithin(h, 10000, `${label}: SIGKILL (${what})`);
      assert.equal(run.signal, 'SIGKILL', `${label}: the run was not ended by SIGKILL (${what}): ${describeRun(run)}`);
    },
    // Ends the workload, reaches the stop and waits for the last run to end there with exit 0; then verifies.
    async finish(h) {
      const stats = await workload.stop();
      process.stderr.write(`# ${label}: workload ${JSON.stringify(stats)}\n`);
      await reachStop(cluster, stop, schema);
      const run = await endWithin(h, 90000, `${label}: the run to the stop position ${stop}`);
      assert.equal(run.code, 0, `${label}: the last run to ${stop} failed: ${describeRun(run)}`);
      let rebuildDir = targetDir;
      if (s3Settings.PreserveTransactions) {
        // Every change is in the transaction files; the tables' folders hold their LOAD files only.
        for (const table of WORKLOAD_TABLES) {
          const files = tableFiles(targetDir, 'it', schema, table, s3Settings);
          assert.deepEqual(files.changes, [],
            `${label}: per-table change files were written under PreserveTransactions`);
        }
        const split = splitTransactionFiles(targetDir, { cdcPath: s3Settings.CdcPath, settings: s3Settings });
        process.stderr.write(`# ${label}: ${split.files} transaction files, ${split.rows} rows, tables ` +
          `${[...split.tables].sort().join(' ')}\n`);
        assert.ok(split.tables.size >= 2, `${label}: the transaction files hold the changes of fewer than two tables`);
        assert.ok(!split.tables.has(`${schema}.${MARKER_TABLE}`),
          `${label}: the transaction past the stop position was written`);
        rebuildDir = split.dir;
      }
      const result = await verifyWorkloadTables({ cluster, targetDir: rebuildDir, settings: s3Settings, schema,
        expectLoad: true, label: `${label} (seed ${seed})` });
      const marker = tableFiles(targetDir, 'it', schema, MARKER_TABLE, s3Settings);
      assert.deepEqual(marker.changes, [], `${label}: the transaction past the stop position was written`);
      await dropSlotIfInactive(cluster, taskId);
      return result;
    },
    // The workload runs; pgs3 streams, is killed with SIGKILL at a random moment and started again; then finish().
    async killOnceWhileStreamingThenFinish() {
      workload.start();
      let h = this.start();
      await this.streaming(h);
      await sleepUnless(() => h.finished(), this.r.int(1000, 3000));
      await this.kill9(h, 'kill while streaming');
      await sleep(500);
      h = this.start();
      await sleepUnless(() => h.finished(), 2500);
      await this.finish(h);
    },
    async cleanup() {
      await workload.stop().catch(() => {});
      for (const h of handles) {
        await h.signal('SIGKILL').catch(() => {});
        await h.done.catch(() => {});
      }
    },
  };
  return s;
}

async function inScenario(o, body) {
  const s = await scenario(o);
  try {
    await body(s);
  } catch (e) {
    await s.cleanup();
    throw e;
  }
}

test('KillNineTwiceWhileStreamingThenRerunRebuildsExactly', { timeout: 200000 }, async () => {
  await inScenario({ schema: 'kill_pq', taskId: 'kill-pq', label: 'kill9-streaming' }, async (s) => {
    s.workload.start();
    let h = s.start();
    await s.streaming(h);
    for (let k = 1; k <= 2; k++) {
      await sleepUnless(() => h.finished(), s.r.int(1000, 4000));
      await s.kill9(h, `kill ${k} while streaming`);
      // Changes go on while pgs3 is down.
      await sleep(s.r.int(200, 1500));
      h = s.start();
      await sleepUnless(() => h.finished(), 500);
    }
    await sleepUnless(() => h.finished(), 2000);
    await s.finish(h);
  });
});

test('KillNineWhileStreamingCsvThenRerunRebuildsExactly', { timeout: 200000 }, async () => {
  // CSV files carry no positions: the restart relies on the task's journal alone.
  await inScenario({ schema: 'kill_csv', taskId: 'kill-csv', label: 'kill9-streaming-csv',
    s3Settings: { DataFormat: 'csv' } }, async (s) => {
    await s.killOnceWhileStreamingThenFinish();
  });
});

test('PreserveTransactionsKillNineWhileStreamingThenTheTransactionFilesRebuildEveryTable', { timeout: 200000 },
  async () => {
    // One transaction-ordered stream for all tables (DMS's CDC_TXN files under CdcPath), through a kill -9: the
    // restart relies on the task's journal and the stream's single checkpoint entry.
    await inScenario({ schema: 'kill_txn', taskId: 'kill-txn', label: 'kill9-transactions',
      s3Settings: { DataFormat: 'csv', PreserveTransactions: true, CdcPath: 'txn' } }, async (s) => {
      await s.killOnceWhileStreamingThenFinish();
    });
  });

test('PostgresRestartWhileStreamingPgs3ReconnectsAndFinishes', { timeout: 200000 }, async () => {
  await inScenario({ schema: 'restart_pg', taskId: 'restart-pg', label: 'postgres-restart' }, async (s) => {
    s.workload.start();
    const h = s.start();
    await s.streaming(h);
    await sleepUnless(() => h.finished(), 2000);
    await s.workload.pause();
    await cluster.restart();
    // pgs3 must not give up on a restarting server.
    await assertRunning(h, 'pgs3 ended when PostgreSQL restarted');
    s.workload.resume();
    await sleepUnless(() => h.finished(), 3000);
    await assertRunning(h, 'pgs3 ended after PostgreSQL restarted');
    // Reconnected: the slot is in use again.
    await waitFor(async () => (await slotInfo(cluster, defaultSlotName('restart-pg')))?.active === 't',
      { timeoutMs: 30000, what: 'pgs3 to reconnect its replication slot after the restart' });
    await s.finish(h);
  });
});

test('SigtermExitsZeroWithinTenSecondsAndARerunContinuesWithoutDuplicates', { timeout: 200000 }, async () => {
  await inScenario({ schema: 'term_pq', taskId: 'term-pq', label: 'sigterm' }, async (s) => {
    s.workload.start();
    let h = s.start();
    await s.streaming(h);
    await sleepUnless(() => h.finished(), 2500);
    await assertRunning(h, 'pgs3 ended by itself before SIGTERM');
    const sent = Date.now();
    await h.signal('SIGTERM');
    const run = await endWithin(h, 10000, 'SIGTERM: pgs3 must exit within 10 s');
    assert.equal(run.code, 0, `SIGTERM: exit code ${run.code}, expected 0 (${Date.now() - sent} ms): ${describeRun(run)}`);
    assert.ok(readCheckpoint(s.targetDir, 'it', 'term-pq'), 'SIGTERM: no checkpoint in the target');
    const slot = await slotInfo(cluster, defaultSlotName('term-pq'));
    assert.ok(slot && slot.active === 'f', `SIGTERM: the slot is gone or still active: ${JSON.stringify(slot)}`);
    await sleep(1000);
    h = s.start();
    await sleepUnless(() => h.finished(), 2500);
    await s.finish(h);
  });
});

test('KillNineDuringTheFullLoadThenRerunLoadsAgainAndRebuildsExactly', { timeout: 200000 }, async () => {
  const taskId = 'kill-load';
  await inScenario({ schema: 'kill_load', taskId, label: 'kill9-full-load',
    sizes: { orders: 300000, docs: 1000, kinds: 10000 } }, async (s) => {
    s.workload.start();
    // Kill 1: the slot exists (created with the snapshot the load reads), the checkpoint may not yet.
    let h = s.start();
    await waitFor(async () => h.finished() || await slotInfo(cluster, defaultSlotName(taskId)),
      { timeoutMs: 30000, what: 'the slot to be created' });
    await sleepUnless(() => h.finished(), s.r.int(0, 100));
    process.stderr.write(`# kill9-full-load: kill 1, checkpoint phase ${readCheckpoint(s.targetDir, 'it', taskId)?.phase}\n`);
    await s.kill9(h, 'kill 1, right after the slot was created');
    // Kill 2: the load has started ("full-load" checkpoint) and is not over.
    h = s.start();
    await waitFor(() => h.finished() || readCheckpoint(s.targetDir, 'it', taskId)?.phase === 'full-load',
      { timeoutMs: 30000, what: 'the rerun to start its full load (checkpoint phase "full-load")' });
    // Short: the 300,000-row load takes about 0.3 s at full speed.
    await sleepUnless(() => h.finished(), s.r.int(10, 120));
    const phase = readCheckpoint(s.targetDir, 'it', taskId)?.phase;
    process.stderr.write(`# kill9-full-load: kill 2, checkpoint phase ${phase}\n`);
    assert.equal(phase, 'full-load', 'the full load was over before kill 2: make the tables bigger');
    await s.kill9(h, 'kill 2, during the full load');
    h = s.start();
    await s.streaming(h);
    await sleepUnless(() => h.finished(), 2000);
    await s.finish(h);
  });
});

// Issue 13, items 1 to 3: a full load in segments (the big table split by ctid, 3 workers) is killed once some tables
// are loaded and others are not, under the random workload. The rerun keeps the loaded tables' LOAD files as they
// are and loads the others whole again in the snapshot of a temporary slot; the stream from the task slot skips
// their changes that committed below that slot's consistent point. The rebuild must equal the source.
test('KillNineDuringASegmentedFullLoadResumesWithTheTablesAlreadyLoaded', { timeout: 240000 }, async () => {
  const taskId = 'kill-seg';
  await inScenario({ schema: 'kill_seg', taskId, label: 'kill9-segmented-load',
    sizes: { orders: 1500000, docs: 300, kinds: 3000 }, source: { fullLoadSegmentMB: 16 },
    taskSettings: { FullLoadSettings: { MaxFullLoadSubTasks: 3 } } }, async (s) => {
    s.workload.start();
    let h = s.start();
    const loaded = () => (readCheckpoint(s.targetDir, 'it', taskId)?.tables ?? []).filter((t) => t.full_load_done);
    await waitFor(() => h.finished() || (readCheckpoint(s.targetDir, 'it', taskId)?.phase === 'full-load' &&
      loaded().length > 0), { timeoutMs: 60000, intervalMs: 10, what: 'a first table to be loaded' });
    const checkpoint = readCheckpoint(s.targetDir, 'it', taskId);
    const kept = loaded().map((t) => t.table);
    process.stderr.write(`# kill9-segmented-load: kill during the full load; loaded: ${kept.join(' ')}\n`);
    assert.equal(checkpoint?.phase, 'full-load', 'the full load was over before the kill: make the tables bigger');
    assert.ok(kept.length < 4, `every table was loaded before the kill (${kept.join(' ')}): make the tables bigger`);
    await s.kill9(h, 'kill during the segmented full load');
    const first = (await h.done).logs.map((l) => String(l.msg ?? ''));
    assert.ok(first.some((m) => m.startsWith('full load of kill_seg.orders: ') && /segments/.test(m)),
      'orders is loaded in segments');
    // The loaded tables' files, which the rerun must keep as they are (same names, same inodes).
    const before = new Map();
    for (const table of kept) {
      for (const f of tableFiles(s.targetDir, 'it', 'kill_seg', table, { DataFormat: 'parquet' }).load) {
        before.set(f, statSync(f).ino);
      }
    }
    assert.ok(before.size > 0 || kept.every((t) => t === MARKER_TABLE), 'the loaded tables have LOAD files');
    h = s.start();
    await s.streaming(h);
    for (const [f, ino] of before) {
      assert.ok(existsSync(f) && statSync(f).ino === ino, `${f} of a table loaded before the kill was rewritten`);
    }
    await sleepUnless(() => h.finished(), 2000);
    await s.finish(h);
    const run = await h.done;
    const messages = run.logs.map((l) => String(l.msg ?? ''));
    assert.ok(messages.some((m) => /^resuming the full load of task "kill-seg": \d+ table\(s\) loaded before are kept/.test(m)),
      'the rerun says it resumes');
    assert.ok(messages.some((m) => /^created temporary replication slot "pgs3_kill_seg_load"/.test(m)),
      'the rerun loads the other tables in a temporary slot\'s snapshot');
  });
});

// Issue 13, item 4: `pgs3 reload TASK.json --table` (DMS's reload-table) on a running task under the random
// workload: the task takes the request up at its next catalog check, loads the table again in a temporary slot's
// snapshot and streams on; then `pgs3 run --reload-target` after a kill -9 loads every table again the same way. The
// rebuild must equal the source, and a table the task does not have is refused by name.
test('ReloadTableOnARunningTaskAndReloadTargetRebuildExactly', { timeout: 240000 }, async () => {
  const taskId = 'reload-t';
  await inScenario({ schema: 'reload_t', taskId, label: 'reload-table' }, async (s) => {
    const snapshotOf = (table) =>
      (readCheckpoint(s.targetDir, 'it', taskId)?.tables ?? []).find((t) => t.table === table)?.snapshot_lsn ?? null;
    s.workload.start();
    let h = s.start();
    await s.streaming(h);
    await sleepUnless(() => h.finished(), 1500);
    const taskFile = writeTaskFile(s.task);
    const unknown = await runPgs3Command(['reload', taskFile, '--table', 'reload_t.nope'], { env: cluster.pgs3Env() });
    assert.equal(unknown.code, 2, describeRun(unknown));
    assert.match(unknown.stderr, /--table reload_t\.nope: not a table of task/);
    assert.equal(snapshotOf('kinds'), null, 'kinds was loaded in the slot\'s snapshot');
    const asked = await runPgs3Command(['reload', taskFile, '--table', 'reload_t.kinds'], { env: cluster.pgs3Env() });
    assert.equal(asked.code, 0, describeRun(asked));
    await waitFor(() => h.finished() || snapshotOf('kinds') !== null,
      { timeoutMs: 60000, what: 'kinds to be loaded again (its snapshot LSN in the checkpoint)' });
    await assertRunning(h, 'reload-table: the run ended after the reload');
    const kindsLsn = snapshotOf('kinds');
    assert.equal(snapshotOf('orders'), null, 'orders was not to be loaded again');
    await sleepUnless(() => h.finished(), 1500);
    await s.kill9(h, 'kill after the reload');
    h = s.start(['--reload-target']);
    await waitFor(() => h.finished() || (snapshotOf('orders') !== null && snapshotOf('kinds') !== kindsLsn),
      { timeoutMs: 60000, what: '--reload-target to load every table again' });
    await sleepUnless(() => h.finished(), 1500);
    await s.finish(h);
  });
});
