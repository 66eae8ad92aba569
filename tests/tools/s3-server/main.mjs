#!/usr/bin/env node
// The S3 test server as a process, for benchmarks and manual runs. Prints one JSON line when ready
// ({"endpoint","port","region","dataDir","buckets"}), stops on SIGTERM/SIGINT.
//
//   node tests/tools/s3-server/main.mjs --port 0 --region us-east-1 --bucket lake [--bucket other:OWNER:Enabled]
//        [--access-key AK --secret-key SK [--session-token T]] [--deny s3:PutObjectTagging] [--data-dir DIR]
//        [--clock-offset-ms MS]   the server's clock runs MS ahead of the machine's (negative: behind)
//
// Credentials default to AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. --bucket is
// NAME[:OWNER_ACCOUNT_ID[:VERSIONING_STATUS]]. Without --data-dir the objects live in a temporary directory that is
// removed on exit.
import { parseArgs } from 'node:util';

import { startS3Server } from './server.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    region: { type: 'string', default: 'us-east-1' },
    bucket: { type: 'string', multiple: true, default: [] },
    'access-key': { type: 'string', default: process.env.AWS_ACCESS_KEY_ID },
    'secret-key': { type: 'string', default: process.env.AWS_SECRET_ACCESS_KEY },
    'session-token': { type: 'string', default: process.env.AWS_SESSION_TOKEN },
    deny: { type: 'string', multiple: true, default: [] },
    'data-dir': { type: 'string' },
    'clock-offset-ms': { type: 'string', default: '0' },
  },
});

if (!values['access-key'] || !values['secret-key']) {
  process.stderr.write('s3-server: give --access-key and --secret-key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)\n');
  process.exit(2);
}
const buckets = values.bucket.map((spec) => {
  const [name, owner, versioning] = spec.split(':');
  return { name, owner: owner || undefined, versioning: versioning || undefined };
});
const server = await startS3Server({
  port: Number(values.port),
  region: values.region,
  credentials: [{ accessKeyId: values['access-key'], secretAccessKey: values['secret-key'],
    sessionToken: values['session-token'] || undefined }],
  buckets,
  denyActions: values.deny,
  dataDir: values['data-dir'],
  clockOffsetMs: Number(values['clock-offset-ms']),
});
process.stdout.write(JSON.stringify({ endpoint: server.endpoint, port: server.port, region: server.region,
  dataDir: server.dataDir, buckets: buckets.map((b) => b.name) }) + '\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  });
}
