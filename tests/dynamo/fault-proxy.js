// An HTTP proxy between a DynamoDB client and dynalite that injects the
// failures a real DynamoDB produces, so that the client's retry paths run
// for real. Prints its port on its first line of output; runs until killed.
//
//   node fault-proxy.js TARGET_PORT [--seed N] [--FAULT P ...]
//
// Each FAULT is the probability that a request meets it:
//   --unprocessed  BatchWriteItem: forward only half of the items and return
//                  the rest as UnprocessedItems
//   --throttle     400 with a throttling error (three kinds, in turn)
//   --http500      500 InternalServerError, request not forwarded
//   --http503      503, request not forwarded
//   --drop-before  close the connection without forwarding
//   --drop-after   forward, then close the connection without answering
//                  (the write happened; the client cannot know)
//   --stall        read the request and never answer
//   --reject TYPE  answer every request with 400 and error TYPE
//   --reject-op OP --reject-count N  with --reject: only requests of
//                  operation OP, and only the first N of them
//   --reject-key AKID  with --reject: only requests signed with access key AKID
//   --reject-marker TEXT  answer requests whose body holds TEXT with 400
//                  ValidationException (one bad item in a batch)
//   --fault-op OP  the faults above meet only requests of operation OP
//   --fault-count N  the faults above meet at most N requests in all
// Other flags:
//   --tls-cert FILE --tls-key FILE  serve HTTPS with this certificate
//   --keep-alive-ms N               close idle client connections after N ms
// POST /__stats returns how many of each were injected.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');

const argv = process.argv.slice(2);
const targetPort = Number(argv.shift());
const rates = {};
let seed = 1;
let reject = null;
let rejectMarker = null;
let rejectOp = null;
let rejectCount = Infinity;
let rejectKey = null;
let faultOp = null;
let faultCount = Infinity;
let faultsMet = 0;
let tlsCert = null;
let tlsKey = null;
let keepAliveMs = 60000;
while (argv.length) {
  const name = argv.shift().replace(/^--/, '');
  const value = argv.shift();
  if (name === 'seed') seed = Number(value);
  else if (name === 'tls-cert') tlsCert = fs.readFileSync(value);
  else if (name === 'tls-key') tlsKey = fs.readFileSync(value);
  else if (name === 'keep-alive-ms') keepAliveMs = Number(value);
  else if (name === 'reject') reject = value;
  else if (name === 'reject-marker') rejectMarker = value;
  else if (name === 'reject-op') rejectOp = value;
  else if (name === 'reject-count') rejectCount = Number(value);
  else if (name === 'reject-key') rejectKey = value;
  else if (name === 'fault-op') faultOp = value;
  else if (name === 'fault-count') faultCount = Number(value);
  else rates[name.replace('-', '_')] = Number(value);
}

// mulberry32: a small seeded generator, so a failing run can be replayed.
function random() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const stats = {
  requests: 0, forwarded: 0, unprocessed: 0, unprocessed_items: 0, throttle: 0,
  http500: 0, http503: 0, drop_before: 0, drop_after: 0, stall: 0, rejected: 0,
};
const throttles = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'];

function forward(req, body, onResponse) {
  stats.forwarded++;
  const headers = Object.assign({}, req.headers, { 'content-length': Buffer.byteLength(body) });
  const upstream = http.request(
    { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers },
    (up) => {
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => onResponse(up.statusCode, up.headers, Buffer.concat(chunks).toString()));
    });
  upstream.on('error', () => req.socket.destroy());
  upstream.end(body);
}

function answer(res, status, headers, body) {
  res.writeHead(status, Object.assign({}, headers, { 'content-length': Buffer.byteLength(body) }));
  res.end(body);
}

function dynamoError(res, status, type) {
  answer(res, status, { 'content-type': 'application/x-amz-json-1.0' },
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected by fault-proxy' }));
}

function pickFault(operation) {
  if (faultOp && operation !== faultOp) return null;
  if (faultsMet >= faultCount) return null;
  let r = random();
  for (const name of ['unprocessed', 'throttle', 'http500', 'http503', 'drop_before', 'drop_after', 'stall']) {
    if (name === 'unprocessed' && operation !== 'BatchWriteItem') continue;
    const p = rates[name] || 0;
    if (r < p) {
      faultsMet++;
      return name;
    }
    r -= p;
  }
  return null;
}

function handle(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (req.url === '/__stats') return answer(res, 200, {}, JSON.stringify(stats));
    stats.requests++;
    const target = String(req.headers['x-amz-target'] || '').split('.').pop();
    const signedBy = /Credential=([^/]+)\//.exec(String(req.headers.authorization || ''));
    if (reject && (!rejectOp || rejectOp === target) && stats.rejected < rejectCount &&
        (!rejectKey || (signedBy && signedBy[1] === rejectKey))) {
      stats.rejected++;
      return dynamoError(res, 400, reject);
    }
    if (rejectMarker && body.includes(rejectMarker)) {
      stats.rejected++;
      return dynamoError(res, 400, 'ValidationException');
    }
    const operation = String(req.headers['x-amz-target'] || '').split('.').pop();
    const fault = pickFault(operation);
    switch (fault) {
      case 'throttle':
        stats.throttle++;
        return dynamoError(res, 400, throttles[stats.throttle % throttles.length]);
      case 'http500':
        stats.http500++;
        return dynamoError(res, 500, 'InternalServerError');
      case 'http503':
        stats.http503++;
        return answer(res, 503, {}, 'Service Unavailable');
      case 'drop_before':
        stats.drop_before++;
        return req.socket.destroy();
      case 'drop_after':
        stats.drop_after++;
        return forward(req, body, () => req.socket.destroy());
      case 'stall':
        stats.stall++;
        return undefined;
      case 'unprocessed': {
        const request = JSON.parse(body);
        const held = {};
        let total = 0;
        for (const [table, items] of Object.entries(request.RequestItems)) {
          total += items.length;
          const keep = Math.ceil(items.length / 2);
          if (items.length > keep) held[table] = items.slice(keep);
          request.RequestItems[table] = items.slice(0, keep);
        }
        if (total < 2) return forward(req, body, (s, h, b) => answer(res, s, h, b));
        stats.unprocessed++;
        for (const items of Object.values(held)) stats.unprocessed_items += items.length;
        return forward(req, JSON.stringify(request), (status, headers, upBody) => {
          if (status !== 200) return answer(res, status, headers, upBody);
          const response = JSON.parse(upBody);
          response.UnprocessedItems = Object.assign(response.UnprocessedItems || {}, held);
          answer(res, 200, headers, JSON.stringify(response));
        });
      }
      default:
        return forward(req, body, (s, h, b) => answer(res, s, h, b));
    }
  });
}

const server = tlsCert ? https.createServer({ cert: tlsCert, key: tlsKey }, handle) : http.createServer(handle);
server.keepAliveTimeout = keepAliveMs;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
