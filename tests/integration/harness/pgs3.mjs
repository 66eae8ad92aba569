// Runs the pgs3 binary under test: writes a task file, runs `pgs3 run TASK.json`, captures the exit code, stdout and
// stderr (with a timeout; the child is stopped by its PID), and records everything it printed in the run directory
// for the password leak check. Also builds task files in DESIGN.md §2's format.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { knownPasswords } from './cluster.mjs';
import { keepArtifacts, outputLogDir, pgs3Bin } from './env.mjs';

let runCounter = 0;
const tempDirs = [];
process.on('exit', () => {
  if (keepArtifacts) return;
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

// A fresh temporary directory removed when the process exits (unless PGS3_IT_KEEP=1).
export function makeTempDir(prefix = 'pgs3-it-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

// Fails with a clear message unless the binary exists and implements `run` (a missing task file must exit 2).
export function assertPgs3Works() {
  if (!existsSync(pgs3Bin)) {
    throw new Error(`pgs3 binary not found at ${pgs3Bin}: build it (cmake --preset release && ninja -C build/release) ` +
      'or set PGS3_BIN');
  }
  const r = spawnSync(pgs3Bin, ['run', '/nonexistent/pgs3-it-no-such-task.json'], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 2) {
    throw new Error(`${pgs3Bin} does not implement 'run' yet: a missing task file exited ${r.status}, expected 2 ` +
      `(stderr: ${JSON.stringify(r.stderr)})`);
  }
}

// The environment pgs3 runs with: ours without any PG* variable (so no stray PGPASSWORD/PGHOST leaks in), with
// PGPASSFILE pointing nowhere unless the test sets it, plus the test's own variables.
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG') && !k.startsWith('AWS_')) env[k] = v;
  env.PGPASSFILE = '/nonexistent/pgs3-it-pgpass';
  env.PGCONNECT_TIMEOUT = '10';
  return { ...env, ...extra };
}

// Parses stderr as JSON log lines ({"time","level","msg",...}); lines that are not JSON are kept as {raw}.
export function parseLogLines(stderr) {
  return stderr.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      const o = JSON.parse(l);
      return o && typeof o === 'object' ? o : { raw: l };
    } catch {
      return { raw: l };
    }
  });
}

// Writes `task` (or exactly `taskText`) to a new task.json; returns its path.
export function writeTaskFile(task, taskText) {
  const taskFile = join(makeTempDir('pgs3-it-task-'), 'task.json');
  writeFileSync(taskFile, taskText ?? JSON.stringify(task, null, 2));
  return taskFile;
}

/**
 * Runs `pgs3 ARGS...` in a clean environment (no PG* or AWS_* variables of ours, no password file), records what it
 * printed for the password-leak check (zz_password_leak.test.mjs) and fails at once when it printed a known password.
 * @param args the command line after `pgs3`
 * @param opts.env extra environment (e.g. cluster.pgs3Env())
 * @param opts.timeoutMs the process is stopped (SIGTERM, then SIGKILL 5 s later) after this long
 * @param opts.label a name for the recorded output
 * @param opts.stdin 'ignore' (not a terminal), or a string written to its standard input
 * @param opts.onStderr called with everything pgs3 wrote to stderr so far, each time it writes more
 * @returns {Promise<{code, signal, stdout, stderr, logs, timedOut, durationMs}>}
 */
export async function runPgs3Command(args,
  { env = {}, timeoutMs = 180000, label = args[0], stdin = 'ignore', onStderr } = {}) {
  const started = Date.now();
  const child = spawn(pgs3Bin, args,
    { env: childEnv(env), stdio: [stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== 'ignore') child.stdin.end(stdin);
  const out = [];
  const err = [];
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => {
    err.push(b);
    onStderr?.(Buffer.concat(err).toString('utf8'));
  });
  let timedOut = false;
  let killTimer = null;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  }, timeoutMs);
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  const durationMs = Date.now() - started;

  const safeLabel = label.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80);
  writeFileSync(join(outputLogDir, `${process.pid}-${String(++runCounter).padStart(4, '0')}-${safeLabel}.log`),
    `# pgs3 ${args[0]} (${label}) exit=${code} signal=${signal} ${durationMs} ms\n` +
    `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);

  // A password in anything pgs3 printed fails the test that made it print it, right there.
  const leaked = knownPasswords().filter((pw) => stdout.includes(pw) || stderr.includes(pw));
  if (leaked.length > 0) throw new Error(`pgs3 ${args[0]} printed a password ('${label}', exit ${code})`);

  return { code, signal, stdout, stderr, logs: parseLogLines(stderr), timedOut, durationMs };
}

/**
 * Runs `pgs3 run TASK.json [args]` (runPgs3Command).
 * @param task a task object (written as JSON) — or use opts.taskText for a file with exactly that text
 * @param opts.args extra arguments after the task file; the other options are runPgs3Command's
 * @returns {Promise<{code, signal, stdout, stderr, logs, timedOut, durationMs, taskFile}>}
 */
export async function runPgs3(task, { args = [], taskText, label = 'run', ...options } = {}) {
  const taskFile = writeTaskFile(task, taskText);
  return { ...await runPgs3Command(['run', taskFile, ...args], { label, ...options }), taskFile };
}

// A one-line summary of a run for assertion messages.
export function describeRun(r) {
  const tail = r.stderr.length > 4000 ? '…' + r.stderr.slice(-4000) : r.stderr;
  return `exit=${r.code} signal=${r.signal}${r.timedOut ? ' (timed out)' : ''}\nstderr:\n${tail}`;
}

let ruleIds = 0;
// One DMS selection rule.
export function selectionRule(schema, table, action = 'include') {
  const id = String(++ruleIds);
  return {
    'rule-type': 'selection', 'rule-id': id, 'rule-name': `rule-${id}`,
    'object-locator': { 'schema-name': schema, 'table-name': table }, 'rule-action': action,
  };
}

// A full-load task into a local directory (DESIGN.md §2).
export function fullLoadTask({ cluster, user, targetDir, bucketFolder = 'it', s3Settings = {}, rules,
  taskId = 'it-task', taskSettings, source = {} } = {}) {
  const task = {
    taskId,
    migrationType: 'full-load',
    source: { connection: cluster.connectionString({ user }), ...source },
    target: { type: 'local', path: targetDir, s3Settings: { BucketFolder: bucketFolder, ...s3Settings } },
    tableMappings: { rules: rules ?? [selectionRule('public', '%')] },
  };
  if (taskSettings) task.taskSettings = taskSettings;
  return task;
}

// Every file under dir, as paths relative to dir, sorted; directories are not listed.
export function listFiles(dir) {
  const out = [];
  const walk = (rel) => {
    const abs = rel ? join(dir, rel) : dir;
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, r)).isDirectory()) walk(r);
      else out.push(r);
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

// Every entry (files and directories) under dir.
export function listEntries(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}
