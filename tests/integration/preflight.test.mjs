// `pgs3 preflight TASK.json [--json]`: a good cluster passes (exit 0), and each wrong setting, privilege, pg_hba.conf
// or table gives a failed check with the exact fix and exit 2. Two clusters: a good one (settings that a reload can
// change are changed there, and put back) and one started with wal_level=replica and max_replication_slots=1.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startCluster } from './harness/cluster.mjs';
import { assertPgs3Works, makeTempDir, runPgs3Command, selectionRule, writeTaskFile } from './harness/pgs3.mjs';
import { listKeys, s3Task, startS3 } from './harness/s3.mjs';

// Runs `pgs3 preflight TASK.json --json` (or without --json; harness runPgs3Command); returns {code, stdout,
// stderr, doc} (doc: the parsed JSON, or null in text mode).
async function preflight(task, { env = {}, json = true, label = 'preflight' } = {}) {
  const r = await runPgs3Command(['preflight', writeTaskFile(task), ...(json ? ['--json'] : [])],
    { env, label, timeoutMs: 60000 });
  return { ...r, doc: json ? JSON.parse(r.stdout) : null };
}

function check(r, name) {
  const c = r.doc.checks.find((x) => x.name === name);
  assert.ok(c, `no check named ${name} in ${r.stdout}`);
  return c;
}

function failedNames(r) {
  return r.doc.checks.filter((c) => c.status === 'fail').map((c) => c.name);
}

function cdcTask(cluster, { user, rules, targetDir, migrationType = 'full-load-and-cdc', taskId = 'pf' } = {}) {
  return {
    taskId,
    migrationType,
    source: { connection: cluster.connectionString({ user }) },
    target: { type: 'local', path: targetDir ?? join(makeTempDir('pgs3-it-target-'), 'not-yet', 'lake'),
      s3Settings: { DataFormat: 'parquet' } },
    tableMappings: { rules: rules ?? [selectionRule('public', '%')] },
  };
}

// Polls `SHOW name` on the cluster's shared session until it reads `value` (a reload reaches sessions
// asynchronously).
async function waitForSetting(cluster, name, value) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const [row] = await cluster.sql(`SHOW ${name}`);
    if (Object.values(row)[0] === value) return;
    if (Date.now() > deadline) throw new Error(`${name} did not become ${value}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('good cluster', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster();
    await cluster.sql(`
      CREATE TABLE public.orders (id int PRIMARY KEY, note text, status_set int[]);
      CREATE TABLE public.items (id int PRIMARY KEY, qty int);
      CREATE SCHEMA nopk;
      CREATE TABLE nopk.events (v int, payload text);
      CREATE TABLE nopk.parted (k int NOT NULL, v int) PARTITION BY RANGE (k);
      CREATE TABLE nopk.parted_low PARTITION OF nopk.parted FOR VALUES FROM (0) TO (100);
      GRANT USAGE ON SCHEMA nopk TO ${cluster.reader};
      GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${cluster.reader};
      GRANT SELECT ON ALL TABLES IN SCHEMA nopk TO ${cluster.reader};
    `);
  });
  after(() => cluster?.stop());

  test('GoodClusterPassesAndListsInactiveSlotsAsWarnings', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('left_behind', 'pgoutput')`);
    try {
      const r = await preflight(cdcTask(cluster), { env: cluster.pgs3Env(), label: 'good' });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.doc.ok, true);
      assert.deepEqual(failedNames(r), []);
      for (const name of ['connection', 'server_version', 'selection', 'select_privilege', 'wal_level',
        'max_replication_slots', 'max_wal_senders', 'wal_sender_timeout', 'replication_privilege', 'publication',
        'replication_connection', 'slot', 'replica_identity', 'target_directory']) {
        assert.equal(check(r, name).status, 'pass', `${name}: ${JSON.stringify(check(r, name))}`);
      }
      for (const c of r.doc.checks) {
        assert.deepEqual(Object.keys(c).sort(), ['detail', 'fix', 'name', 'status']);
      }
      const inactive = check(r, 'inactive_slots');
      assert.equal(inactive.status, 'warn');
      assert.match(inactive.detail, /left_behind .*retains .* of WAL/);
      assert.match(inactive.fix, /pg_drop_replication_slot\('left_behind'\)/);
      assert.match(check(r, 'max_replication_slots').detail, /1 slot\(s\) taken: left_behind/);
      // A text column of a table without REPLICA IDENTITY FULL may arrive unchanged.
      assert.equal(check(r, 'toast_columns').status, 'warn');
      assert.match(check(r, 'toast_columns').detail, /"public"\."orders" \(note, status_set\)/);
      assert.match(check(r, 'text_columns').detail, /"public"\."orders"\."status_set" integer\[\]/);

      const text = await preflight(cdcTask(cluster), { env: cluster.pgs3Env(), json: false, label: 'good-text' });
      assert.equal(text.code, 0, text.stdout + text.stderr);
      assert.match(text.stdout, /^pass +wal_level +wal_level is logical$/m);
      assert.match(text.stdout, /^warn +inactive_slots .*\n +fix: .*pg_drop_replication_slot/m);
      assert.match(text.stdout, /preflight passed: 0 failed/);
    } finally {
      await cluster.sql(`SELECT pg_drop_replication_slot('left_behind')`);
    }
  });

  test('WalSenderTimeoutBelowTenSecondsFailsWithTheSetting', async () => {
    await cluster.sql(`ALTER SYSTEM SET wal_sender_timeout = '5s'`);
    await cluster.sql('SELECT pg_reload_conf()');
    await waitForSetting(cluster, 'wal_sender_timeout', '5s');
    try {
      const r = await preflight(cdcTask(cluster), { env: cluster.pgs3Env(), label: 'wal-sender-timeout' });
      assert.equal(r.code, 2, r.stdout);
      assert.equal(r.doc.ok, false);
      assert.deepEqual(failedNames(r), ['wal_sender_timeout']);
      const c = check(r, 'wal_sender_timeout');
      assert.match(c.detail, /wal_sender_timeout is 5s: below 10 s/);
      // A sighup setting: a reload is enough, no restart.
      assert.match(c.fix,
        /set wal_sender_timeout = 60s in postgresql\.conf .*reload the configuration \(SELECT pg_reload_conf\(\)\)/);
      assert.doesNotMatch(c.fix, /restart/);
    } finally {
      await cluster.sql('ALTER SYSTEM RESET wal_sender_timeout');
      await cluster.sql('SELECT pg_reload_conf()');
      await waitForSetting(cluster, 'wal_sender_timeout', '1min');
    }
  });

  test('UserWithoutReplicationFailsWithAlterRole', async () => {
    const r = await preflight(cdcTask(cluster, { user: cluster.reader }),
      { env: cluster.pgs3Env({ user: cluster.reader }), label: 'no-replication-role' });
    assert.equal(r.code, 2, r.stdout);
    const priv = check(r, 'replication_privilege');
    assert.equal(priv.status, 'fail');
    assert.match(priv.fix, /ALTER ROLE "pgs3_reader" WITH REPLICATION;/);
    const repl = check(r, 'replication_connection');
    assert.equal(repl.status, 'fail');
    assert.match(repl.detail, /replication role|WAL sender/);
    assert.match(repl.fix, /ALTER ROLE "pgs3_reader" WITH REPLICATION;/);
    // It owns none of the tables: the publication cannot be created by it.
    const pub = check(r, 'publication');
    assert.equal(pub.status, 'fail');
    assert.match(pub.detail, /does not own 2 selected table\(s\): .*"public"\."items" \(owner postgres\)/);
    assert.match(pub.fix, /CREATE PUBLICATION "pgs3_pf" FOR TABLE/);
    assert.match(pub.fix, /GRANT CREATE ON DATABASE "pgs3it" TO "pgs3_reader";/);
    // SELECT was granted: the full-load side is fine.
    assert.equal(check(r, 'select_privilege').status, 'pass');
  });

  test('FullLoadOnlyNeedsSelectNotReplication', async () => {
    const r = await preflight(cdcTask(cluster, { user: cluster.reader, migrationType: 'full-load' }),
      { env: cluster.pgs3Env({ user: cluster.reader }), label: 'full-load-reader' });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.doc.checks.map((c) => c.name),
      ['connection', 'tls', 'server_version', 'selection', 'select_privilege', 'target_directory']);

    await cluster.sql(`REVOKE SELECT ON public.items FROM ${cluster.reader}`);
    try {
      const denied = await preflight(cdcTask(cluster, { user: cluster.reader, migrationType: 'full-load' }),
        { env: cluster.pgs3Env({ user: cluster.reader }), label: 'full-load-no-select' });
      assert.equal(denied.code, 2, denied.stdout);
      assert.deepEqual(failedNames(denied), ['select_privilege']);
      assert.match(check(denied, 'select_privilege').detail, /1 selected table\(s\): "public"\."items"$/);
      assert.equal(check(denied, 'select_privilege').fix,
        'GRANT SELECT ON "public"."items" TO "pgs3_reader"; (or exclude those tables in tableMappings)');
    } finally {
      await cluster.sql(`GRANT SELECT ON public.items TO ${cluster.reader}`);
    }
  });

  test('TableWithoutPrimaryKeyUnderReplicaIdentityDefaultFails', async () => {
    const task = cdcTask(cluster, { rules: [selectionRule('nopk', '%')] });
    const r = await preflight(task, { env: cluster.pgs3Env(), label: 'no-primary-key' });
    assert.equal(r.code, 2, r.stdout);
    assert.deepEqual(failedNames(r), ['replica_identity']);
    const c = check(r, 'replica_identity');
    assert.match(c.detail, /"nopk"\."events" \(no primary key, REPLICA IDENTITY DEFAULT\)/);
    // A partitioned table is judged by its leaf partitions, where the rows live.
    assert.match(c.detail, /"nopk"\."parted_low" \(no primary key, REPLICA IDENTITY DEFAULT\)/);
    assert.doesNotMatch(c.detail, /"nopk"\."parted" /);
    assert.match(c.detail, /UPDATE and DELETE on them fail on the server/);
    assert.match(c.fix, /add a primary key, or run: ALTER TABLE "nopk"\."events" REPLICA IDENTITY FULL; /);
    assert.match(c.fix, /ALTER TABLE "nopk"\."parted_low" REPLICA IDENTITY FULL;$/);

    await cluster.sql(
      'ALTER TABLE nopk.events REPLICA IDENTITY FULL; ALTER TABLE nopk.parted_low REPLICA IDENTITY FULL');
    try {
      const fixed = await preflight(task, { env: cluster.pgs3Env(), label: 'no-primary-key-fixed' });
      assert.equal(fixed.code, 0, fixed.stdout);
      assert.equal(check(fixed, 'replica_identity').status, 'pass');
      // REPLICA IDENTITY FULL also carries unchanged TOAST values.
      assert.equal(check(fixed, 'toast_columns').status, 'pass');
    } finally {
      await cluster.sql(
        'ALTER TABLE nopk.events REPLICA IDENTITY DEFAULT; ALTER TABLE nopk.parted_low REPLICA IDENTITY DEFAULT');
    }
  });

  test('S3TargetChecksReportDeniedDeleteAndVersioningAndLeaveNothingBehind', async () => {
    const rules = [selectionRule('public', '%')];
    const broken = await startS3(
      { buckets: [{ name: 'lake', versioning: 'Enabled' }], denyActions: ['s3:DeleteObject'] });
    try {
      const r = await preflight(s3Task({ cluster, s3: broken, rules, taskId: 'pf-s3' }),
        { env: { ...cluster.pgs3Env(), ...broken.env }, label: 's3-target' });
      assert.equal(r.code, 2, r.stdout);
      assert.deepEqual(failedNames(r), ['target_delete']);
      for (const name of ['target_bucket', 'target_region', 'target_put']) assert.equal(check(r, name).status, 'pass');
      assert.equal(check(r, 'target_delete').fix, 'allow s3:DeleteObject on arn:aws:s3:::lake/*');
      assert.equal(check(r, 'target_versioning').status, 'warn');
      assert.match(check(r, 'target_versioning').fix, /lifecycle rule that expires noncurrent versions/);
    } finally {
      await broken.server.stop();
    }
    const good = await startS3({ buckets: [{ name: 'lake' }] });
    try {
      const r = await preflight(s3Task({ cluster, s3: good, rules, taskId: 'pf-s3' }),
        { env: { ...cluster.pgs3Env(), ...good.env }, label: 's3-target-ok' });
      assert.equal(r.code, 0, r.stdout);
      assert.equal(check(r, 'target_delete').status, 'pass');
      assert.equal(check(r, 'target_versioning').status, 'pass');
      assert.deepEqual(await listKeys(good, 'lake'), [], 'the probe object was left behind');
    } finally {
      await good.server.stop();
    }
  });

  test('PgHbaWithoutALineForTheDatabaseExplainsTheLineToAdd', async () => {
    // The classic mistake: a `host replication` line, which serves only physical replication, and no line that
    // matches the task's database.
    const hba = join(cluster.dir, 'data', 'pg_hba.conf');
    const original = readFileSync(hba, 'utf8');
    writeFileSync(hba, [
      'local   all          all                  trust',
      'host    postgres     all   127.0.0.1/32   scram-sha-256',
      'host    replication  all   127.0.0.1/32   scram-sha-256', ''].join('\n'));
    await cluster.sql('SELECT pg_reload_conf()');
    try {
      const deadline = Date.now() + 10000;
      let r;
      for (;;) {
        r = await preflight(cdcTask(cluster), { env: cluster.pgs3Env(), label: 'pg-hba' });
        if (r.code === 2 || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      assert.equal(r.code, 2, r.stdout);
      const repl = check(r, 'replication_connection');
      assert.equal(repl.status, 'fail');
      assert.match(repl.detail, /no pg_hba\.conf entry/);
      assert.ok(repl.fix.includes('host pgs3it postgres 127.0.0.1/32 scram-sha-256'), repl.fix);
      assert.match(repl.fix, /matched by the database name or `all`, not by the `replication` keyword/);
      assert.ok(check(r, 'connection').fix.includes('host pgs3it postgres 127.0.0.1/32 scram-sha-256'));
    } finally {
      writeFileSync(hba, original);
      await cluster.sql('SELECT pg_reload_conf()');
    }
  });
});

describe('cluster with wal_level=replica and max_replication_slots=1', () => {
  let cluster;
  before(async () => {
    assertPgs3Works();
    cluster = await startCluster({ conf: { wal_level: 'replica', max_replication_slots: 1 }, noReplicationHba: true });
    await cluster.sql(`
      CREATE TABLE public.orders (id int PRIMARY KEY, qty int);
      SELECT pg_create_physical_replication_slot('taken', true);
    `);
  });
  after(() => cluster?.stop());

  test('WalLevelReplicaAndNoFreeSlotFailWithTheSettingsAndRestart', async () => {
    const r = await preflight(cdcTask(cluster), { env: cluster.pgs3Env(), label: 'replica-one-slot' });
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.doc.ok, false);

    const wal = check(r, 'wal_level');
    assert.equal(wal.status, 'fail');
    assert.match(wal.detail, /wal_level is 'replica'; logical replication needs wal_level = logical/);
    assert.match(wal.fix, /set wal_level = logical in postgresql\.conf .*then restart PostgreSQL/);

    const slots = check(r, 'max_replication_slots');
    assert.equal(slots.status, 'fail');
    assert.match(slots.detail, /max_replication_slots is 1; 1 slot\(s\) taken: taken \(inactive\)/);
    assert.match(slots.detail, /none is free/);
    assert.match(slots.fix, /set max_replication_slots = 3 in postgresql\.conf .*then restart PostgreSQL/);
    assert.equal(check(r, 'slot').status, 'fail');
    assert.match(check(r, 'inactive_slots').detail, /taken \(physical, retains .* of WAL\)/);

    // pg_hba.conf has no `host replication` line, and the replication=database connection still works: it is
    // matched by the `host all all` line, as PostgreSQL documents for logical replication connections.
    assert.equal(check(r, 'replication_connection').status, 'pass');
  });

  test('OnRdsTheFixNamesTheParameterGroupAndTheReboot', async () => {
    // pgs3 recognises RDS by its rds_superuser role; a self-managed server with that role stands in for one.
    await cluster.sql('CREATE ROLE rds_superuser NOLOGIN; CREATE ROLE rds_replication NOLOGIN');
    try {
      const r = await preflight(cdcTask(cluster, { user: cluster.reader }),
        { env: cluster.pgs3Env({ user: cluster.reader }), label: 'rds' });
      assert.equal(r.code, 2, r.stdout);
      assert.match(check(r, 'wal_level').fix,
        /in the RDS DB parameter group of this instance, set rds\.logical_replication = 1 .*reboot the instance/);
      assert.match(check(r, 'max_replication_slots').fix,
        /RDS DB parameter group .*max_replication_slots = 3 \(a static parameter: reboot the instance/);
      assert.equal(check(r, 'replication_privilege').fix,
        'as the master user, run GRANT rds_replication TO "pgs3_reader";');
    } finally {
      await cluster.sql('DROP ROLE rds_superuser; DROP ROLE rds_replication');
    }
  });

  test('FullLoadOnlyIgnoresReplicationSettings', async () => {
    const r = await preflight(cdcTask(cluster, { migrationType: 'full-load' }),
      { env: cluster.pgs3Env(), label: 'replica-full-load' });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.doc.ok, true);
    assert.ok(!r.doc.checks.some((c) => c.name === 'wal_level'));
  });
});
