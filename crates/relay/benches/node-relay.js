// The baseline for scripts/bench-relay-ingest.sh: a non-durable webhook relay of
// the same shape as codetill-relay's ingest, in plain Node (no packages).
// POST /in/<endpoint> with `Stripe-Signature: t=…,v1=…`: HMAC-SHA256(secret,
// "t.body") checked against every v1 in constant time, |now − t| ≤ 300 s, the
// body parsed as JSON, its `id` deduplicated; the event is kept in memory only
// and answered 200 `{"received":true}` at once. Nothing is written to disk.
//
//   node node-relay.js --port 0 --secret whsec_… [--endpoint ID]
// prints `node-relay listening on 127.0.0.1:PORT`; GET /count answers the
// number of events kept.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(opt('port', '0'));
const secret = opt('secret', 'whsec_bench');
const endpoint = opt('endpoint', 'bench');
const TOLERANCE_S = 300;
const BODY_LIMIT = 256 * 1024;

const events = [];
const seen = new Set();

function verified(header, body) {
  if (typeof header !== 'string') return false;
  let t = null;
  const sigs = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const k = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') sigs.push(v);
  }
  if (t === null || sigs.length === 0) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const signed = sigs.some((sig) => {
    const given = Buffer.from(sig, 'hex');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  return signed && Math.abs(Date.now() / 1000 - Number(t)) <= TOLERANCE_S;
}

function answer(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') return answer(res, 200, { events: events.length });
  if (req.method !== 'POST' || req.url !== `/in/${endpoint}`) return answer(res, 404, { error: 'not_found' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > BODY_LIMIT) {
      answer(res, 413, { error: 'too_large' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    const body = Buffer.concat(chunks);
    if (!verified(req.headers['stripe-signature'], body)) return answer(res, 400, { error: 'bad_signature' });
    let event;
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      return answer(res, 400, { error: 'not_json' });
    }
    if (typeof event?.id !== 'string') return answer(res, 400, { error: 'no_event_id' });
    if (seen.has(event.id)) return answer(res, 200, { received: true, duplicate: true });
    seen.add(event.id);
    events.push({ cursor: events.length + 1, event_id: event.id, type: event.type, payload: body.toString('utf8') });
    return answer(res, 200, { received: true });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`node-relay listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
