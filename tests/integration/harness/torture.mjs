// The torture run (issue 12): the random workload (cdc_workload.test.mjs) on a fresh PostgreSQL 15 cluster, a
// full-load-and-cdc task into the S3 test server behind the fault proxy (503s, connection resets, stalls), pgs3
// killed with SIGKILL at `kills` random instants and started again each time, the S3 server and PostgreSQL (fast)
// restarted once each under a running pgs3, a TRUNCATE (in a transaction with other changes) and an ALTER TABLE ADD
// COLUMN between two trials, then a last run to a stop position and every table rebuilt from its LOAD and change
// files, compared value by value with the source (the harness's verifier reads the files with DuckDB; CSV with its
// own parser).
//
// Used by bench/torture.mjs (100 kills, not in CI) and tests/integration/cdc_torture.test.mjs (a few kills, in CI).
// Returns the figures it prints: trials, kills by phase, tables equal, rows compared, problems (duplicates, losses),
// the longest recovery (start after a kill until the slot streams again), open multipart uploads left.
//
// Phase of a kill, seen at the instant of the signal: "full load" (the task's slot is not streaming yet), "upload"
// (a request that writes a data file is in flight at the proxy), "checkpoint save" (a write of checkpoint.json or a
// journal intent in flight), "streaming" (none of those: between uploads, or between an upload and its checkpoint).
import {
  cdcTask, createWorkloadTables, defaultSlotName, endWithin, planStop, reachStop, rng, sleep, startPgs3,
  splitTransactionFiles, verifyWorkloadTables, waitFor, Workload, WORKLOAD_TABLES, workloadRules, MARKER_TABLE,
  tableFiles,
} from './cdc.mjs';
import { startCluster } from './cluster.mjs';
import { describeRun, makeTempDir } from './pgs3.mjs';
import { downloadAll, restartS3, startS3 } from './s3.mjs';
import { startFaultProxy } from '../../tools/fault-proxy.mjs';

async function slotStreaming(cluster, taskId) {
  const rows = await cluster.sql('SELECT active FROM pg_replication_slots WHERE slot_name = $1',
    [defaultSlotName(taskId)]);
  return rows.length === 1 && rows[0].active === 't';
}

function phaseOf(streaming, active) {
  if (!streaming) return 'full load';
  const writes = active.filter((r) => r.method === 'PUT' || r.method === 'POST');
  if (writes.some((r) => /\/_pgs3\/[^?]*\/(checkpoint\.json|journal\/)/.test(r.url))) return 'checkpoint save';
  if (writes.some((r) => !r.url.includes('/_pgs3/'))) return 'upload';
  return 'streaming';
}

export async function runTorture({ kills = 100, seed, s3Settings = { DataFormat: 'parquet' }, label = 'torture',
  log = (line) => process.stderr.write(`# ${line}\n`), rows = { orders: 20000, docs: 300, kinds: 2000 } } = {}) {
  const r = rng(seed);
  const schema = label.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const taskId = `${schema}-task`.replace(/_/g, '-');
  const cluster = await startCluster();
  const servers = [];
  const handles = [];
  let workload;
  try {
    const s3 = await startS3();
    servers.push({ stop: () => s3.server.stop() }); // the server of the moment: restartS3 replaces it
    const proxy = await startFaultProxy({ target: s3.endpoint, seed, rate503: 0.03, rateReset: 0.02,
      rateStall: 0.005, stallMs: 3000 });
    servers.push(proxy);
    const ids = await createWorkloadTables(cluster, { schema, ...rows });
    const stop = await planStop(cluster, 96 + kills);
    const settings = { CdcMaxBatchInterval: 1, ...s3Settings };
    const task = cdcTask({ cluster, targetDir: '/unused', taskId, rules: workloadRules(schema), s3Settings: settings });
    task.target = { type: 's3', endpointUrl: proxy.endpoint, region: s3.region, stallTimeoutSeconds: 5,
      leaseSeconds: 30, s3Settings: { BucketName: 'lake', BucketFolder: 'it', ...settings } };
    const env = { ...cluster.pgs3Env(), ...s3.env };
    workload = new Workload(cluster, { seed, ids, schema, stopBeforeLsn: stop, workers: 1, pauseMs: 10 }).start();
    const start = (n) => {
      const h = startPgs3(task, { env, args: ['--cdc-stop-position', stop], timeoutMs: 600000,
        label: `${label}-${n}` });
      handles.push(h);
      return h;
    };
    const byPhase = {};
    let maxRecoveryMs = 0;
    let pgRestarted = false;
    // Schema and table events, each once, between two trials: they then happen under the next run (during its
    // recovery or its streaming) and its kill. Transaction files have no row for a TRUNCATE (truncate_policy.h), so
    // a PreserveTransactions run does not truncate.
    const truncates = !settings.PreserveTransactions;
    const events = [
      ...(truncates ? [{ at: Math.max(1, Math.round(kills * 0.3)), name: 'TRUNCATE kinds',
        run: () => workload.truncateKinds() }] : []),
      { at: Math.max(1, Math.round(kills * 0.6)), name: 'ALTER TABLE orders ADD COLUMN',
        run: () => workload.addOrdersColumn() },
    ];
    const eventsDone = [];
    let s3Restarted = false;
    for (let k = 1; k <= kills; k++) {
      for (const e of events.filter((x) => x.at === k)) {
        await e.run();
        eventsDone.push(e.name);
      }
      if (!s3Restarted && k >= Math.round(kills * 0.4)) {
        s3Restarted = true;
        // The S3 server restarts under a streaming pgs3 (its connections are closed, it refuses connections for 2
        // s), which retries and goes on.
        const h3 = start(`${k}-s3-restart`);
        await waitFor(async () => h3.finished() || await slotStreaming(cluster, taskId),
          { timeoutMs: 120000, what: `${label}: streaming before the S3 restart` });
        await sleep(r.int(500, 3000));
        const server = await restartS3(s3, 2000);
        // pgs3 goes on by itself: a checkpoint reaches the new server.
        await waitFor(() => h3.finished() || server.requestLog.some((e) => e.method === 'PUT' && e.status === 200 &&
          /\/checkpoint\.json$/.test(e.key ?? '')), { timeoutMs: 120000,
          what: `${label}: a checkpoint saved after the S3 restart` });
        await sleep(r.int(0, 2000));
        if (h3.finished()) throw new Error(`${label}: pgs3 ended after the S3 restart: ${describeRun(await h3.done)}`);
        await h3.signal('SIGTERM');
        const stopped = await endWithin(h3, 60000, `${label}: the stop after the S3 restart`);
        // A stop while retries of the fault proxy's 503s are still under way may give up after its grace: exit 1,
        // nothing confirmed that is not durable (the README's guarantees); the next run resumes.
        const gaveUp = stopped.code === 1 && stopped.stderr.includes('stopped before every open file was durable');
        if (stopped.code !== 0 && !gaveUp) {
          throw new Error(`${label}: the stop after the S3 restart: ${describeRun(stopped)}`);
        }
      }
      const h = start(k);
      const started = Date.now();
      // Mostly short lives (the kill lands in recovery, the full load, the first uploads), some long ones.
      const life = r.next() < 0.7 ? r.int(200, 2500) : r.int(2500, 8000);
      let recovered = false;
      while (Date.now() - started < life && !h.finished()) {
        await sleep(50);
        if (!recovered && k > 1 && await slotStreaming(cluster, taskId)) {
          recovered = true;
          maxRecoveryMs = Math.max(maxRecoveryMs, Date.now() - started);
        }
      }
      if (h.finished()) throw new Error(`${label}: run ${k} ended before its kill: ${describeRun(await h.done)}`);
      const phase = phaseOf(await slotStreaming(cluster, taskId), proxy.activeRequests());
      await h.signal('SIGKILL');
      await endWithin(h, 15000, `${label}: run ${k} after SIGKILL`);
      byPhase[phase] = (byPhase[phase] ?? 0) + 1;
      if (!pgRestarted && k >= kills / 2) {
        pgRestarted = true;
        // PostgreSQL restarts under a running pgs3, which reconnects on its own.
        await workload.pause();
        const h2 = start(`${k}-pg-restart`);
        await waitFor(async () => h2.finished() || await slotStreaming(cluster, taskId),
          { timeoutMs: 120000, what: `${label}: streaming before the PostgreSQL restart` });
        await cluster.restart();
        workload.resume();
        await waitFor(async () => h2.finished() || await slotStreaming(cluster, taskId),
          { timeoutMs: 120000, what: `${label}: streaming again after the PostgreSQL restart` });
        if (h2.finished()) {
          throw new Error(`${label}: pgs3 ended after the PostgreSQL restart: ${describeRun(await h2.done)}`);
        }
        await h2.signal('SIGTERM');
        const stopped = await endWithin(h2, 60000, `${label}: the stop after the PostgreSQL restart`);
        // As after the S3 restart: a stop during retries of the proxy's 503s may give up after its grace (exit 1,
        // nothing confirmed that is not durable); the next run resumes.
        const gaveUp = stopped.code === 1 && stopped.stderr.includes('stopped before every open file was durable');
        if (stopped.code !== 0 && !gaveUp) {
          throw new Error(`${label}: the stop after the restart: ${describeRun(stopped)}`);
        }
      }
    }
    const stats = await workload.stop();
    await reachStop(cluster, stop, schema);
    const last = start('final');
    const run = await endWithin(last, 580000, `${label}: the last run to the stop position ${stop}`);
    if (run.code !== 0) throw new Error(`${label}: the last run: ${describeRun(run)}`);

    const downloaded = makeTempDir('pgs3-torture-');
    await downloadAll(s3, 'lake', downloaded, 'it/');
    // PreserveTransactions: the transaction files split into per-table change files, the layout the rebuild reads.
    const dir = settings.PreserveTransactions
      ? splitTransactionFiles(downloaded, { cdcPath: settings.CdcPath, settings }).dir : downloaded;
    let tablesEqual = 0;
    let rowsCompared = 0;
    const problems = [];
    for (const table of WORKLOAD_TABLES) {
      try {
        // A truncated table's LOAD files were removed with it.
        const expectLoad = table === 'kinds' && truncates ? undefined : true;
        await verifyWorkloadTables({ cluster, targetDir: dir, settings, schema, expectLoad, tables: [table],
          label: `${label} (seed ${seed})` });
        tablesEqual++;
      } catch (e) {
        problems.push(e.message);
      }
      rowsCompared += Number((await cluster.sql(`SELECT count(*) AS n FROM "${schema}"."${table}"`))[0].n);
    }
    if (tableFiles(downloaded, 'it', schema, MARKER_TABLE, settings).changes.length > 0) {
      problems.push('the transaction past the stop position was written');
    }
    const duplicates = problems.join('\n').split('\n').filter((l) => /written twice|duplicate/i.test(l)).length;
    const losses = problems.join('\n').split('\n').filter((l) => /missing|not in the lake|absent|lost/i.test(l)).length;
    const openUploads = (await s3.server.listOpenUploads('lake')).length;
    const figures = { label, seed, format: settings.DataFormat ?? 'csv',
      preserveTransactions: Boolean(settings.PreserveTransactions), trials: kills, kills: byPhase,
      pgRestarts: pgRestarted ? 1 : 0, s3Restarts: s3Restarted ? 1 : 0, events: eventsDone, tablesEqual, tables: WORKLOAD_TABLES.length, rowsCompared, duplicates, losses,
      maxRecoveryMs, openUploads, workload: stats, faults: proxy.counts };
    log(`${label}: ${JSON.stringify(figures)}`);
    if (problems.length > 0) log(`${label}: problems:\n${problems.join('\n')}`);
    return { ...figures, problems };
  } finally {
    await workload?.stop().catch(() => {});
    for (const h of handles) {
      await h.signal('SIGKILL').catch(() => {});
      await h.done.catch(() => {});
    }
    for (const s of servers) await s.stop().catch(() => {});
    cluster.stop();
  }
}
