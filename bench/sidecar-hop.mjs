// Measures the sidecar-to-sidecar hop for HTTP invocations, to choose its protocol:
//   load (app A) ──HTTP/1.1──▶ sidecar A ──<variant>──▶ sidecar B ──HTTP/1.1──▶ app B
// Variants of the A→B hop: HTTP/1.1 keep-alive (undici pool, as the runtime does), HTTP/2 cleartext (one
// node:http2 session) and gRPC-style framing over h2c (5-byte length prefix, status in trailers, as an
// InvokeService hop would carry). Each role runs in its own process, on loopback only, for a bounded time.
// Usage: node bench/sidecar-hop.mjs [seconds-per-run=5] [concurrency list=1,16,64]
// The sidecars here are stand-ins that only forward (headers, caller identity, trace context, body):
// they measure the protocol's cost, not the runtime's own routing.
import { fork } from 'node:child_process';
import { createServer as createHttp1Server } from 'node:http';
import { connect, createServer as createHttp2Server } from 'node:http2';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Agent, Pool, request } from 'undici';

const variants = ['http1', 'h2c', 'grpc-framing'];
const payload = Buffer.alloc(1024, 'x');
const forwarded = ['content-type', 'traceparent', 'tracestate', 'dapr-caller-app-id', 'dapr-caller-namespace'];

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function pick(headers) {
  const kept = {};
  for (const key of forwarded) if (headers[key] !== undefined) kept[key] = headers[key];
  return kept;
}

/** gRPC's message framing: compressed flag, 4-byte big-endian length, the message. */
function frame(body) {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

function unframe(bytes) {
  return bytes.subarray(5, 5 + bytes.readUInt32BE(1));
}

async function appB() {
  return listen(createHttp1Server({ keepAliveTimeout: 65_000 }, async (req, res) => {
    const body = await readAll(req);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-caller': String(req.headers['dapr-caller-app-id']) });
    res.end(body);
  }));
}

async function sidecarB(variant, appPort) {
  const toApp = new Pool(`http://127.0.0.1:${appPort}`, { connections: 128 });
  const callApp = async (headers, body) => {
    const answer = await toApp.request({ method: 'POST', path: '/m', headers, body });
    return { status: answer.statusCode, body: Buffer.from(await answer.body.arrayBuffer()) };
  };
  if (variant === 'http1') {
    return listen(createHttp1Server({ keepAliveTimeout: 65_000 }, async (req, res) => {
      const answer = await callApp(pick(req.headers), await readAll(req));
      res.writeHead(answer.status, { 'content-type': 'application/octet-stream' });
      res.end(answer.body);
    }));
  }
  const server = createHttp2Server();
  server.on('stream', async (stream, headers) => {
    const body = await readAll(stream);
    if (variant === 'h2c') {
      const answer = await callApp(pick(headers), body);
      stream.respond({ ':status': answer.status, 'content-type': 'application/octet-stream' });
      stream.end(answer.body);
      return;
    }
    const answer = await callApp(pick(headers), unframe(body));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-http-status': String(answer.status) }));
    stream.end(frame(answer.body));
  });
  return listen(server);
}

async function sidecarA(variant, hopPort) {
  let forward;
  if (variant === 'http1') {
    const agent = new Agent({ connections: 128, keepAliveTimeout: 60_000 });
    forward = async (headers, body) => {
      const answer = await request(`http://127.0.0.1:${hopPort}/m`, { method: 'POST', headers, body, dispatcher: agent });
      return { status: answer.statusCode, body: Buffer.from(await answer.body.arrayBuffer()) };
    };
  } else {
    const session = connect(`http://127.0.0.1:${hopPort}`);
    forward = (headers, body) => new Promise((resolve, reject) => {
      const grpc = variant === 'grpc-framing';
      const stream = session.request({ ':method': 'POST', ':path': grpc ? '/dapr.proto.internals.v1.ServiceInvocation/CallLocal' : '/m', ...headers, ...(grpc ? { 'content-type': 'application/grpc', te: 'trailers' } : {}) });
      let status = 200;
      stream.on('response', (h) => { if (!grpc) status = h[':status']; });
      stream.on('trailers', (t) => { status = Number(t['x-http-status']); });
      stream.on('error', reject);
      readAll(stream).then((bytes) => resolve({ status, body: grpc ? unframe(bytes) : bytes }), reject);
      stream.end(grpc ? frame(body) : body);
    });
  }
  return listen(createHttp1Server({ keepAliveTimeout: 65_000 }, async (req, res) => {
    const headers = { ...pick(req.headers), 'dapr-caller-app-id': 'a', 'dapr-caller-namespace': 'default' };
    const answer = await forward(headers, await readAll(req));
    res.writeHead(answer.status, { 'content-type': 'application/octet-stream' });
    res.end(answer.body);
  }));
}

/** Closed-loop load: `concurrency` callers, each sending its next request when the last answered. */
async function load(port, concurrency, seconds) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency });
  const headers = { 'content-type': 'application/octet-stream', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const once = async () => {
    const answer = await pool.request({ method: 'POST', path: '/v1.0/invoke/b/method/m', headers, body: payload });
    const body = Buffer.from(await answer.body.arrayBuffer());
    if (answer.statusCode !== 200 || body.length !== payload.length) throw new Error(`bad answer ${answer.statusCode} ${body.length}`);
  };
  const warmUntil = Date.now() + 1_000;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < warmUntil) await once(); }));
  const latencies = [];
  const started = performance.now();
  const until = started + seconds * 1_000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const begun = performance.now();
      await once();
      latencies.push(performance.now() - begun);
    }
  }));
  const elapsed = (performance.now() - started) / 1_000;
  await pool.close();
  latencies.sort((x, y) => x - y);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { requests: latencies.length, perSecond: Math.round(latencies.length / elapsed), p50: at(0.5), p99: at(0.99) };
}

/** A role in a child process: starts its server, reports the port, waits to be killed. */
async function role(name, variant, port) {
  const started = name === 'app' ? await appB() : name === 'b' ? await sidecarB(variant, port) : await sidecarA(variant, port);
  process.send?.({ port: started });
}

function spawnRole(name, variant, port) {
  const child = fork(new URL(import.meta.url), ['--role', name, variant, String(port)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, port: message.port }));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const concurrencies = (process.argv[3] ?? '1,16,64').split(',').map(Number);
  console.log(`# sidecar hop, 1 KB bodies, ${seconds} s per run, ${cpus().length} cores, Node ${process.version}`);
  console.log('| variant | concurrency | requests/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|');
  for (const variant of variants) {
    const app = await spawnRole('app', variant, 0);
    const b = await spawnRole('b', variant, app.port);
    const a = await spawnRole('a', variant, b.port);
    try {
      for (const concurrency of concurrencies) {
        const result = await load(a.port, concurrency, seconds);
        console.log(`| ${variant} | ${concurrency} | ${result.perSecond} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} |`);
      }
    } finally {
      for (const { child } of [a, b, app]) {
        child.removeAllListeners('exit');
        child.kill();
      }
    }
  }
}

if (process.argv[2] === '--role') await role(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main();
