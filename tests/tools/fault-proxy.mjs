#!/usr/bin/env node
// A fault-injecting HTTP proxy to put between pgs3 (or any S3 client) and the S3 test server. For each request, with
// the given probabilities drawn from a seeded PRNG (the same seed and request order give the same faults), it:
//   - answers 503 SlowDown with S3's error document, without forwarding (rate503);
//   - resets the client connection (TCP RST) after forwarding part of the request body, or after relaying part of
//     the response — for a write, the server may then have stored the object although the client saw no answer
//     (rateReset);
//   - holds the response stallMs before sending anything (rateStall);
//   - otherwise forwards transparently: method, path, headers (Host included, so SigV4 signatures still verify) and
//     body streamed both ways.
//
//   const proxy = await startFaultProxy({ target: s3.endpoint, seed: 1, rate503: 0.3 });
//   ... point the client at proxy.endpoint ...; proxy.counts → { requests, rate503, rateReset, rateStall, forwarded,
//   resetDuringRequest, resetDuringResponse, reset (= rateReset), stall (= rateStall), held (by hold()) };
//   proxy.events → [{ method, url, fault }] in arrival order, fault one of 'rate503', 'resetDuringRequest',
//   'resetDuringResponse', 'rateStall', 'none'.
//   await proxy.stop();
//
// proxy.activeRequests() lists the requests in progress. `match(req)` (optional) limits faults to the requests it
// accepts (others are forwarded); setRates() changes the rates while running; hold(ms) is an outage window (no
// response for ms); `resetWhere` ('either', the default, 'request' or 'response') fixes where a reset happens.
// CLI: node tests/tools/fault-proxy.mjs --target URL [--port 0] [--seed N] [--rate503 P] [--rate-reset P]
// [--rate-stall P] [--stall-ms MS] [--hold-ms MS] prints {"endpoint": ...}, holds every response for --hold-ms
// (default 10000) on SIGUSR1, and stops on SIGTERM, printing counts.
// Binds 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// mulberry32: a small deterministic PRNG in [0, 1).
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function slowDownDocument(path, requestId) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request ' +
    `rate.</Message><Resource>${path.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c])}` +
    `</Resource><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);

function resetSocket(socket) {
  if (!socket || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

export async function startFaultProxy({ target, port = 0, seed = 1, rate503 = 0, rateReset = 0, rateStall = 0,
  stallMs = 5000, match = () => true, resetWhere = 'either' } = {}) {
  const upstream = new URL(target);
  const random = prng(seed);
  let rates = { rate503, rateReset, rateStall };
  const counts = { requests: 0, rate503: 0, rateReset: 0, rateStall: 0, forwarded: 0, resetDuringRequest: 0,
    resetDuringResponse: 0, reset: 0, stall: 0, held: 0 };
  let holdUntil = 0; // hold(): no response leaves before this time (ms since the epoch)
  const events = [];
  const EVENT_LIMIT = 100000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const timers = new Set();

  // Which fault this request gets: one draw for the fault, one for where a reset happens (always both, so that the
  // sequence of draws does not depend on the requests' content).
  function choose(req) {
    const r = random();
    const where = random();
    if (!match(req)) return { fault: 'none' };
    if (r < rates.rate503) return { fault: 'rate503' };
    if (r < rates.rate503 + rates.rateReset) {
      const duringRequest = resetWhere === 'either' ? where < 0.5 : resetWhere === 'request';
      return { fault: 'rateReset', duringRequest };
    }
    if (r < rates.rate503 + rates.rateReset + rates.rateStall) return { fault: 'rateStall' };
    return { fault: 'none' };
  }

  const active = new Set();  // the requests not answered yet: { method, url }

  function handle(req, res) {
    counts.requests++;
    const entry = { method: req.method, url: req.url };
    active.add(entry);
    res.on('close', () => active.delete(entry));
    const decision = choose(req);
    const fault = decision.fault === 'rateReset'
      ? (decision.duringRequest ? 'resetDuringRequest' : 'resetDuringResponse') : decision.fault;
    if (events.length < EVENT_LIMIT) events.push({ method: req.method, url: req.url, fault });
    if (fault.startsWith('resetDuring')) counts[fault]++;
    if (decision.fault === 'rate503') {
      counts.rate503++;
      const requestId = randomBytes(8).toString('hex').toUpperCase();
      const doc = slowDownDocument(req.url.split('?')[0], requestId);
      // The body is drained first so that a client still sending it sees the answer, not a broken pipe.
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(doc),
          'x-amz-request-id': requestId });
        res.end(req.method === 'HEAD' ? undefined : doc);
      });
      return;
    }
    if (decision.fault === 'rateReset') counts.reset = ++counts.rateReset;
    else if (decision.fault === 'rateStall') counts.stall = ++counts.rateStall;
    else counts.forwarded++;

    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers, agent });
    let clientGone = false;
    const abortAll = () => {
      clientGone = true;
      up.destroy();
      resetSocket(req.socket);
    };
    req.on('aborted', () => up.destroy());
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    up.on('error', () => {
      if (clientGone) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault-proxy: upstream error\n');
      } else {
        resetSocket(req.socket);
      }
    });

    if (decision.fault === 'rateReset' && decision.duringRequest) {
      // Forward about half of the declared body (or nothing when there is none), then reset.
      const total = Number(req.headers['content-length'] ?? 0);
      const limit = Math.floor(total / 2);
      let sent = 0;
      if (limit === 0) {
        abortAll();
        return;
      }
      req.on('data', (chunk) => {
        if (clientGone) return;
        const take = Math.min(chunk.length, limit - sent);
        if (take > 0) up.write(chunk.subarray(0, take));
        sent += take;
        if (sent >= limit) abortAll();
      });
      return;
    }

    up.on('response', (upRes) => {
      const out = [];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(upRes.rawHeaders[i].toLowerCase())) out.push(upRes.rawHeaders[i], upRes.rawHeaders[i + 1]);
      }
      const send = () => {
        if (clientGone || res.destroyed) {
          upRes.destroy();
          return;
        }
        if (decision.fault === 'rateReset') {
          // Relay the status line, headers and about half of the body, then reset; with no body, reset before any
          // byte of the answer (the request was processed, the client never learns it).
          const total = Number(upRes.headers['content-length'] ?? 0);
          const limit = Math.floor(total / 2);
          if (limit === 0 || req.method === 'HEAD') {
            upRes.destroy();
            abortAll();
            return;
          }
          res.writeHead(upRes.statusCode, upRes.statusMessage, out);
          let sent = 0;
          upRes.on('data', (chunk) => {
            if (clientGone) return;
            const take = Math.min(chunk.length, limit - sent);
            if (take > 0) res.write(chunk.subarray(0, take));
            sent += take;
            if (sent >= limit) {
              // Let the partial bytes reach the socket before the reset.
              res.socket?.write('', () => abortAll());
            }
          });
          return;
        }
        res.writeHead(upRes.statusCode, upRes.statusMessage, out);
        upRes.pipe(res);
      };
      const delay = Math.max(decision.fault === 'rateStall' ? stallMs : 0, holdUntil - Date.now());
      if (delay > 0) {
        if (decision.fault !== 'rateStall') counts.held++;
        upRes.pause();
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, delay);
        timers.add(timer);
      } else {
        send();
      }
    });
    req.pipe(up);
  }

  const server = http.createServer(handle);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const boundPort = server.address().port;
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    counts,
    events,
    setRates(next) { rates = { ...rates, ...next }; },
    // An outage window: for `ms` from now no response is sent (those arriving in the window, and those of requests
    // already in progress, wait until it ends), as when S3 stops answering for a while.
    hold(ms) { holdUntil = Date.now() + ms; },
    // The requests in progress now (arrived, not yet answered or cut): [{ method, url }].
    activeRequests() { return [...active]; },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      port: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      rate503: { type: 'string', default: '0' },
      'rate-reset': { type: 'string', default: '0' },
      'rate-stall': { type: 'string', default: '0' },
      'stall-ms': { type: 'string', default: '5000' },
      'hold-ms': { type: 'string', default: '10000' },
    },
  });
  if (!values.target) {
    process.stderr.write('fault-proxy: --target http://127.0.0.1:PORT is required\n');
    process.exit(2);
  }
  const proxy = await startFaultProxy({ target: values.target, port: Number(values.port), seed: Number(values.seed),
    rate503: Number(values.rate503), rateReset: Number(values['rate-reset']), rateStall: Number(values['rate-stall']),
    stallMs: Number(values['stall-ms']) });
  process.stdout.write(JSON.stringify({ endpoint: proxy.endpoint, port: proxy.port }) + '\n');
  // SIGUSR1: an outage window of --hold-ms (proxy.hold()).
  process.on('SIGUSR1', () => {
    proxy.hold(Number(values['hold-ms']));
    process.stderr.write(JSON.stringify({ hold: Number(values['hold-ms']), at: Date.now() }) + '\n');
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, async () => {
      await proxy.stop();
      process.stderr.write(JSON.stringify({ counts: proxy.counts }) + '\n');
      process.exit(0);
    });
  }
}
