// A throwaway PostgreSQL 15 cluster per test file, started with scripts/pg-cluster.sh and always stopped: by the
// test file's after() hook, and — should the process end any other way — by exit and signal handlers that stop every
// cluster this process started (by its data directory's postmaster PID file, through pg-cluster.sh stop).
//
// Usage in a test file:
//   const cluster = await startCluster();
//   after(() => cluster.stop());
//   await cluster.sql('CREATE TABLE ...');
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pg } from '../../tools/deps.mjs';
import { clusterScript, keepArtifacts, secretsDir } from './env.mjs';

const running = new Set();

function stopAllSync() {
  for (const cluster of [...running]) cluster.stop();
}
process.on('exit', stopAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopAllSync();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal]));
  });
}

// Every value arrives as PostgreSQL's own text output: no client-side parsing of dates, numbers or arrays.
const rawTypes = { getTypeParser: () => (text) => text };

// The session every source read uses, so that text output is canonical: ISO dates, UTC, shortest-exact floats,
// hex bytea, postgres-style intervals (README: "CSV values are PostgreSQL's text output (DateStyle ISO, IntervalStyle
// postgres)").
const canonicalSession = '-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=1 ' +
  '-c bytea_output=hex -c client_encoding=UTF8';

export class Cluster {
  constructor(dir, port, database) {
    this.dir = dir;
    this.host = '127.0.0.1';
    this.port = port;
    this.database = database;
    this.superuser = 'postgres';
    this.password = readFileSync(join(dir, 'superuser-password'), 'utf8');
    this.reader = 'pgs3_reader';
    this.readerPassword = readFileSync(join(dir, 'reader-password'), 'utf8');
    this.client_ = null;
    this.stopped_ = false;
  }

  // The libpq connection string a task file carries: never the password.
  connectionString({ user = this.superuser, database = this.database } = {}) {
    return `host=${this.host} port=${this.port} dbname=${database} user=${user}`;
  }

  // Environment for pgs3: the password through PGPASSWORD, as in a real deployment.
  pgs3Env({ user = this.superuser, password } = {}) {
    const pw = password ?? (user === this.reader ? this.readerPassword : this.password);
    return { PGPASSWORD: pw };
  }

  async connect({ user = this.superuser, password, database = this.database } = {}) {
    const client = new pg.Client({
      host: this.host, port: this.port, database, user,
      password: password ?? (user === this.reader ? this.readerPassword : this.password),
      options: canonicalSession, types: rawTypes,
    });
    await client.connect();
    return client;
  }

  // Runs SQL as the superuser on the shared client; returns the result rows (objects of text values).
  async sql(text, params) {
    if (!this.client_) this.client_ = await this.connect();
    return (await this.client_.query(text, params)).rows;
  }

  // The shared superuser client (for the comparison helpers).
  async client() {
    if (!this.client_) this.client_ = await this.connect();
    return this.client_;
  }

  // Restarts the server (fast shutdown: clients and walsenders are disconnected, then a start on the same port), as
  // an administrator's restart would. The shared client is dropped; the next sql() connects again. Asynchronous, so
  // that other work of the test process (a workload, a pgs3 child's output) goes on meanwhile.
  async restart() {
    if (this.stopped_) throw new Error(`cluster ${this.dir} is stopped`);
    if (this.client_) {
      const c = this.client_;
      this.client_ = null;
      await c.end().catch(() => {});
    }
    const run = (args) => new Promise((resolve, reject) => {
      execFile(clusterScript, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pg-cluster.sh ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    await run(['stop', this.dir]);
    // The same port: clients (pgs3) reconnect to where the server was.
    await run(['start', this.dir, String(this.port)]);
  }

  // Synchronous so that it also works from process exit handlers.
  stop() {
    if (this.stopped_) return;
    this.stopped_ = true;
    running.delete(this);
    if (this.client_) {
      const c = this.client_;
      this.client_ = null;
      c.end().catch(() => {});
    }
    const r = spawnSync(clusterScript, ['stop', this.dir], { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`cluster stop failed for ${this.dir}: ${r.stderr}\n`);
    if (!keepArtifacts && r.status === 0) rmSync(this.dir, { recursive: true, force: true });
  }
}

// `conf`: extra postgresql.conf settings ({ wal_level: 'replica' }); `noReplicationHba`: pg_hba.conf without its
// `host replication` line (scripts/pg-cluster.sh's PGS3_PG_CONF and PGS3_PG_HBA_NO_REPLICATION).
export async function startCluster({ database = 'pgs3it', conf = {}, noReplicationHba = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pgs3-it-pg-'));
  const env = { ...process.env };
  delete env.PGS3_PG_CONF;
  delete env.PGS3_PG_HBA_NO_REPLICATION;
  const settings = Object.entries(conf).map(([k, v]) => `${k}=${v}`).join(' ');
  if (settings) env.PGS3_PG_CONF = settings;
  if (noReplicationHba) env.PGS3_PG_HBA_NO_REPLICATION = '1';
  const r = spawnSync(clusterScript, ['start', dir], { encoding: 'utf8', env });
  if (r.status !== 0) {
    throw new Error(`pg-cluster.sh start ${dir} failed (exit ${r.status}):\n${r.stderr}`);
  }
  const m = /PGPORT=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`pg-cluster.sh start printed no PGPORT: ${r.stdout}`);
  const cluster = new Cluster(dir, Number(m[1]), 'postgres');
  running.add(cluster);
  // Remember the passwords for the leak check (tests/integration/zz_password_leak.test.mjs).
  writeFileSync(join(secretsDir, `cluster-${process.pid}-${cluster.port}.json`),
    JSON.stringify([cluster.password, cluster.readerPassword]), { mode: 0o600 });
  if (database !== 'postgres') {
    await cluster.sql(`CREATE DATABASE "${database}"`);
    await cluster.client_.end();
    cluster.client_ = null;
    cluster.database = database;
  }
  return cluster;
}

// Remembers a secret a test used (e.g. a wrong password) so that the leak check looks for it too.
export function rememberSecret(secret) {
  writeFileSync(join(secretsDir, `secret-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`),
    JSON.stringify([secret]), { mode: 0o600 });
}

// Every password any cluster of this run was created with, and every secret remembered (all test files).
export function knownPasswords() {
  const out = new Set();
  for (const f of readdirSync(secretsDir)) {
    try {
      for (const pw of JSON.parse(readFileSync(join(secretsDir, f), 'utf8'))) out.add(pw);
    } catch { /* a file being written by another test process: skip */ }
  }
  return [...out];
}
