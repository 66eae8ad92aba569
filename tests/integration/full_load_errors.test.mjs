// Bad configuration and bad input: each exits 2 with a message that names the thing to fix, and nothing is written
// to the target. Also the command line's log format contract.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { rememberSecret, startCluster } from './harness/cluster.mjs';
import {
  assertPgs3Works, describeRun, fullLoadTask, listEntries, makeTempDir, runPgs3, selectionRule,
} from './harness/pgs3.mjs';

let cluster;
before(async () => {
  assertPgs3Works();
  cluster = await startCluster();
  await cluster.sql(`
    CREATE SCHEMA perm;
    CREATE TABLE perm.allowed (id int PRIMARY KEY, v text);
    CREATE TABLE perm.secret_payroll (id int PRIMARY KEY, salary numeric(10,2));
    INSERT INTO perm.allowed VALUES (1, 'visible');
    INSERT INTO perm.secret_payroll VALUES (1, 100000);
    GRANT USAGE ON SCHEMA perm TO ${cluster.reader};
    GRANT SELECT ON perm.allowed TO ${cluster.reader};
    CREATE TABLE public.t (id int PRIMARY KEY);
    INSERT INTO public.t VALUES (1);
  `);
});
after(() => cluster?.stop());

const parquet = { DataFormat: 'parquet' };

// Runs pgs3 on a fresh, empty target; requires exit 2 and the target still empty. Returns the run.
async function expectBadInput(label, makeTask, { env, taskText } = {}) {
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = makeTask ? makeTask(targetDir) : undefined;
  const r = await runPgs3(task, { env: env ?? cluster.pgs3Env(), taskText: taskText?.(targetDir), label });
  assert.equal(r.code, 2, `${label}: expected exit 2 (bad configuration or input): ${describeRun(r)}`);
  assert.deepEqual(listEntries(targetDir), [], `${label}: something was written to the target on exit 2`);
  assert.ok(r.stderr.trim().length > 0, `${label}: no message at all`);
  return r;
}

// How many times the run's task file path appears in what it printed.
const timesNamed = (r) => r.stderr.split(r.taskFile).length - 1;

test('MalformedJsonNamesLineAndColumn', async () => {
  const r = await expectBadInput('malformed-json', null, {
    taskText: (targetDir) => [
      '{',
      '  "taskId": "bad-json",',
      '  "migrationType": "full-load",',
      `  "source": { "connection": "${cluster.connectionString()}" },`,
      `  "target": { "type": "local", "path": "${targetDir}", "s3Settings": { "DataFormat": "parquet" } }`,
      '  "tableMappings": { "rules": [] }',
      '}',
    ].join('\n'),
  });
  // The missing comma is detected at the start of line 6.
  assert.match(r.stderr, /line\D{0,3}6\b/i, 'the message names line 6');
  assert.match(r.stderr, /col(umn)?\D{0,3}\d+/i, 'the message names a column');
  assert.equal(timesNamed(r), 1, `the message names the task file once: ${describeRun(r)}`);
});

test('EmptyTaskFileExits2', async () => {
  const r = await runPgs3(null, { taskText: '', env: cluster.pgs3Env(), label: 'empty-task-file' });
  assert.equal(r.code, 2, describeRun(r));
});

test('UnknownSettingSuggestsTheRightName', async () => {
  const r = await expectBadInput('unknown-setting', (targetDir) => fullLoadTask({ cluster, targetDir,
    s3Settings: { DataFormat: 'parquet', CompresionType: 'gzip' }, rules: [selectionRule('public', 't')] }));
  assert.match(r.stderr, /CompresionType/, 'the message names the unknown setting');
  assert.match(r.stderr, /CompressionType/, 'the message suggests CompressionType');
  assert.equal(timesNamed(r), 1, `the message names the task file once: ${describeRun(r)}`);

  const r2 = await expectBadInput('unknown-setting-2', (targetDir) => fullLoadTask({ cluster, targetDir,
    s3Settings: { DataFormatt: 'parquet' }, rules: [selectionRule('public', 't')] }));
  assert.match(r2.stderr, /DataFormatt/, 'the message names the unknown setting');
  assert.match(r2.stderr, /DataFormat(?!t)/, 'the message suggests DataFormat');
});

test('WrongPasswordNamesHostPortAndUserButNotThePassword', async () => {
  const wrong = `wrong-${randomBytes(9).toString('hex')}`;
  rememberSecret(wrong);
  const r = await expectBadInput('wrong-password', (targetDir) => fullLoadTask({ cluster, targetDir,
    s3Settings: parquet, rules: [selectionRule('public', 't')] }), { env: { PGPASSWORD: wrong } });
  assert.match(r.stderr, /127\.0\.0\.1/, 'the message names the host');
  assert.ok(r.stderr.includes(String(cluster.port)), 'the message names the port');
  assert.match(r.stderr, /postgres/, 'the message names the user');
  assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong), 'the wrong password was printed');
  assert.ok(!r.stderr.includes(cluster.password), 'the real password was printed');
});

test('NothingListeningExits2NamingHostAndPort', async () => {
  // Port 1 on 127.0.0.1: nothing serves it, the connection is refused at once.
  const r = await expectBadInput('connection-refused', (targetDir) => {
    const task = fullLoadTask({ cluster, targetDir, s3Settings: parquet, rules: [selectionRule('public', 't')] });
    task.source.connection = 'host=127.0.0.1 port=1 dbname=postgres user=postgres connect_timeout=5';
    return task;
  });
  assert.match(r.stderr, /127\.0\.0\.1/, 'the message names the host');
  assert.match(r.stderr, /port\W{0,3}1\b|127\.0\.0\.1:1\b/i, 'the message names the port');
});

test('SelectionMatchingNoTableExits2', async () => {
  const r = await expectBadInput('selection-matches-nothing', (targetDir) => fullLoadTask({ cluster, targetDir,
    s3Settings: parquet, rules: [selectionRule('no_such_schema', '%')] }));
  assert.match(r.stderr, /no_such_schema|match/i, 'the message says the selection matched nothing');
});

test('TableTheUserMayNotSelectExits2NamingTheTable', async () => {
  const r = await expectBadInput('permission-denied', (targetDir) => fullLoadTask({ cluster, targetDir,
    user: cluster.reader, s3Settings: parquet, rules: [selectionRule('perm', '%')] }),
  { env: cluster.pgs3Env({ user: cluster.reader }) });
  assert.match(r.stderr, /secret_payroll/, 'the message names the table the user may not SELECT');
});

test('PasswordInTheConnectionStringIsRefused', async () => {
  const r = await expectBadInput('password-in-task', (targetDir) => {
    const task = fullLoadTask({ cluster, targetDir, s3Settings: parquet, rules: [selectionRule('public', 't')] });
    task.source.connection += ` password=${cluster.password}`;
    return task;
  });
  assert.match(r.stderr, /password/i, 'the message says the password does not belong in the task file');
});

test('LogsAreJsonLinesWhenStderrIsNotATerminal', async () => {
  const targetDir = makeTempDir('pgs3-it-target-');
  const task = fullLoadTask({ cluster, targetDir, s3Settings: parquet, rules: [selectionRule('public', 't')] });
  const r = await runPgs3(task, { env: cluster.pgs3Env(), label: 'json-logs' });
  assert.equal(r.code, 0, describeRun(r));
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length > 0, 'no log lines at all');
  for (const l of lines) {
    const o = JSON.parse(l);
    assert.ok(typeof o.time === 'string' && typeof o.level === 'string' && typeof o.msg === 'string',
      `log line lacks time/level/msg: ${l}`);
  }

  const text = await runPgs3(task, { env: cluster.pgs3Env(), label: 'text-logs', args: ['--log-format', 'text'] });
  assert.equal(text.code, 0, describeRun(text));
  const first = text.stderr.split('\n').find((l) => l.trim() !== '');
  assert.ok(first !== undefined, 'no text log lines');
  assert.throws(() => JSON.parse(first), 'a --log-format text line parsed as JSON');

  const quiet = await runPgs3(task, { env: cluster.pgs3Env(), label: 'error-level', args: ['--log-level', 'error'] });
  assert.equal(quiet.code, 0, describeRun(quiet));
  for (const o of quiet.logs) assert.ok(o.raw !== undefined || /^err/i.test(o.level), `logged below error: ${JSON.stringify(o)}`);
});
