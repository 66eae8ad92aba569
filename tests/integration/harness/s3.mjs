// S3 side of the integration tests: the project's S3 test server (tests/tools/s3-server, s3rver that verifies
// SigV4) with fresh random credentials, tasks that write to it, and the Debian AWS CLI (/usr/bin/aws) as the
// independent client that reads back what pgs3 wrote.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { rememberSecret } from './cluster.mjs';
import { makeTempDir } from './pgs3.mjs';
import { startS3Server } from '../../tools/s3-server/server.mjs';

const execFileP = promisify(execFile);
export const AWS_CLI = '/usr/bin/aws';

// A fresh key pair; the secret is registered with the leak check (nothing pgs3 prints may contain it).
export function newCredentials() {
  const accessKeyId = 'AKIA' + randomBytes(8).toString('hex').toUpperCase();
  const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x');
  rememberSecret(secretAccessKey);
  return { accessKeyId, secretAccessKey };
}

// Starts the test server with one account and the given buckets. Returns { server, creds, env, endpoint }.
export async function startS3({ region = 'eu-west-1', buckets = [{ name: 'lake' }], denyActions, tls,
  clockOffsetMs } = {}) {
  const creds = newCredentials();
  const options = { region, credentials: [creds], buckets, denyActions, tls, clockOffsetMs,
    dataDir: makeTempDir('pgs3-it-s3-') };
  const server = await startS3Server({ port: 0, ...options });
  return { server, creds, region, endpoint: server.endpoint, env: awsEnv(creds, region), options };
}

// Restarts the test server of `s3` (from startS3): it stops (open connections are closed), stays down for `downMs`,
// and comes back on the same port with the same data directory, so that objects and multipart uploads survive as on
// a real S3 service. s3.server is the new server afterwards.
export async function restartS3(s3, downMs = 2000) {
  const port = s3.server.port;
  await s3.server.stop();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  s3.server = await startS3Server({ port, ...s3.options });
  return s3.server;
}

// The environment that gives pgs3 and the AWS CLI these credentials, and nothing else from the machine.
export function awsEnv(creds, region) {
  const home = makeTempDir('pgs3-it-home-');
  return {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    HOME: home,
  };
}

// Runs `aws s3api <args>` against the endpoint; returns parsed JSON output (or {} when there is none).
export async function s3api(s3, args) {
  const { stdout } = await execFileP(AWS_CLI, ['s3api', '--endpoint-url', s3.endpoint, '--output', 'json', ...args], {
    env: { PATH: '/usr/bin:/bin', ...s3.env }, maxBuffer: 64 << 20,
  });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

// Every object under prefix, through the CLI's own pagination.
export async function listKeys(s3, bucket, prefix = '') {
  const out = await s3api(s3, ['list-objects-v2', '--bucket', bucket, '--prefix', prefix]);
  return (out.Contents ?? []).map((o) => ({ key: o.Key, size: o.Size, etag: o.ETag }));
}

// Downloads every object under prefix into destDir/<key>; returns the keys.
export async function downloadAll(s3, bucket, destDir, prefix = '') {
  const keys = await listKeys(s3, bucket, prefix);
  for (const { key } of keys) {
    const path = join(destDir, key);
    mkdirSync(dirname(path), { recursive: true });
    await s3api(s3, ['get-object', '--bucket', bucket, '--key', key, path]);
  }
  return keys.map((k) => k.key);
}

// A full-load task that writes to the test server's bucket.
export function s3Task({ cluster, s3, bucket = 'lake', bucketFolder = 'it', s3Settings = {}, rules, taskId = 'it-s3',
  target = {} }) {
  return {
    taskId,
    migrationType: 'full-load',
    source: { connection: cluster.connectionString() },
    target: { type: 's3', endpointUrl: s3.endpoint, region: s3.region,
      s3Settings: { BucketName: bucket, BucketFolder: bucketFolder, ...s3Settings }, ...target },
    tableMappings: { rules },
  };
}

export function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2));
}
