// One full-load run end to end: write the task, run pgs3, require exit 0, check which table folders appeared, and
// verify each table against its files (verify.mjs).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describeRun, fullLoadTask, makeTempDir, runPgs3 } from './pgs3.mjs';
import { keySegment, verifyTable } from './verify.mjs';

// The <schema>/<table> folders under <target>/<BucketFolder>/ (escaped names, keySegment()), ignoring pgs3's own
// `_pgs3` state folder.
export function tableFolders(targetDir, bucketFolder) {
  const root = bucketFolder ? join(targetDir, bucketFolder) : targetDir;
  if (!existsSync(root)) return [];
  const out = [];
  for (const schema of readdirSync(root).sort()) {
    if (schema === '_pgs3') continue;
    const sdir = join(root, schema);
    if (!statSync(sdir).isDirectory()) {
      out.push(`<file ${schema}>`);
      continue;
    }
    for (const table of readdirSync(sdir).sort()) out.push(`${schema}/${table}`);
  }
  return out;
}

/**
 * Runs a full load and verifies it.
 * @param o.cluster
 * @param o.s3Settings the task's s3Settings (DataFormat etc.)
 * @param o.rules selection rules
 * @param o.tables [[schema, table], ...] the tables that must be verified (empty ones must have no folder/files)
 * @param o.exactFolders when true (default), the non-empty tables of o.tables must be exactly the folders written
 * @param o.verifyOptions extra options for verifyTable (key, readers)
 * @param o.source extra settings of the task's source section (fullLoadSegmentMB, ...)
 * @returns { run, targetDir, results }
 */
export async function runFullLoad(o) {
  const { cluster, s3Settings = {}, rules, tables, bucketFolder = 'it', label = 'full-load', taskId } = o;
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, bucketFolder, s3Settings, rules, taskId, user: o.user,
    taskSettings: o.taskSettings, source: o.source });
  const startMs = Date.now();
  const run = await runPgs3(task, { env: cluster.pgs3Env({ user: o.user }), label, timeoutMs: o.timeoutMs });
  const endMs = Date.now();
  assert.equal(run.code, 0, `pgs3 run (${label}) failed: ${describeRun(run)}`);

  // Every table is verified, and all failures reported together.
  const results = {};
  const nonEmpty = [];
  const failures = [];
  for (const [schema, table] of tables) {
    try {
      const r = await verifyTable({ cluster, targetDir, bucketFolder, schema, table, settings: s3Settings,
        run: { startMs, endMs }, ...(o.verifyOptions ?? {}) });
      results[`${schema}.${table}`] = r;
      if (r.rows > 0) nonEmpty.push(`${keySegment(schema)}/${keySegment(table)}`);
    } catch (e) {
      failures.push(e.message);
    }
  }
  assert.ok(failures.length === 0, `${label}:\n${failures.join('\n')}`);
  if (o.exactFolders !== false) {
    const folders = tableFolders(targetDir, bucketFolder).filter((f) => {
      // An empty table's folder may exist as long as it holds no file (verifyTable checked that).
      const [schema, table] = f.split('/');
      return !tables.some(([s, t]) => keySegment(s) === schema && keySegment(t) === table &&
        results[`${s}.${t}`].rows === 0);
    });
    assert.deepEqual([...folders].sort(), [...nonEmpty].sort(), `${label}: the table folders written`);
  }
  return { run, targetDir, results, startMs, endMs };
}

// Warning-level log lines (JSON logs: level warn/warning).
export function warnings(run) {
  return run.logs.filter((l) => /^warn/i.test(String(l.level ?? '')));
}
