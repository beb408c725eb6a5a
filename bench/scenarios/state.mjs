// Scenario 2, state get and save of a 1 KB value, through the sidecar (HTTP and gRPC API) on Redis and
// on the embedded SQLite store, versus the same operations made directly with the client library
// (ioredis: HMGET/HSET on a hash, the layout the Redis store keeps; better-sqlite3: a prepared SELECT
// and upsert on a table in WAL mode, in this process). Every variant uses the same generators: the
// open-loop one at 1,000 ops/s for p50/p99 and a closed loop with 16 in flight for max ops/s.
// Plain-Node baselines (apps/state-hop.mjs, its own process: node:http, and grpc-js, in front of the same
// client-library operations) show what one HTTP or gRPC hop costs here before any runtime work. The
// sidecar's Redis store reads with a script (value, version and TTL at once); the hop, like the client
// library rows, with HMGET.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { startSidecar, writeComponents } from '../lib/outrigger.mjs';
import { startStateHop } from '../lib/baselines.mjs';
import { closedLoop, constantRate, ratio } from '../lib/stats.mjs';
import { getStateRequest, grpcClient, saveStateRequest, waitForGrpc } from '../lib/grpc.mjs';
import { times } from '../lib/report.mjs';
import { has, redisBenchmark } from '../lib/tools.mjs';

const RATE = 1_000;
const KEY = 'bench-key';

/** `paths`: where the get and the save go (the sidecar's state API, or the bare hop's /<store>/<key>). */
function httpOperations(baseUrl, paths, saveBody) {
  const pool = new Pool(baseUrl, { connections: 16 });
  const json = { 'content-type': 'application/json' };
  const check = async (answer, status) => {
    const body = await answer.body.arrayBuffer();
    if (answer.statusCode !== status) throw new Error(`answer ${answer.statusCode}: ${Buffer.from(body).toString()}`);
    return body;
  };
  return {
    get: async () => {
      const body = await check(await pool.request({ method: 'GET', path: paths.get }), 200);
      if (body.byteLength < 1_000) throw new Error(`short value (${body.byteLength} bytes)`);
    },
    save: async () => { await check(await pool.request({ method: 'POST', path: paths.save, headers: json, body: saveBody }), 204); },
    close: () => pool.close(),
  };
}

function grpcOperations(port, store, value) {
  const client = grpcClient(port);
  const getBytes = getStateRequest(store, KEY);
  const saveBytes = saveStateRequest(store, KEY, Buffer.from(JSON.stringify(value)));
  return {
    get: async () => {
      const answer = await client.unary('/dapr.proto.runtime.v1.Dapr/GetState', getBytes);
      if (answer.length < 1_000) throw new Error(`short value (${answer.length} bytes)`);
    },
    save: () => client.unary('/dapr.proto.runtime.v1.Dapr/SaveState', saveBytes),
    close: () => client.close(),
  };
}

function redisOperations(value) {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
  const data = JSON.stringify(value);
  let version = 0;
  return {
    get: async () => {
      const [got] = await redis.hmget('bench-raw-key', 'data', 'version');
      if (!got || got.length < 1_000) throw new Error('short value');
    },
    save: () => redis.hset('bench-raw-key', 'data', data, 'version', String(++version)),
    close: () => redis.quit(),
  };
}

function sqliteOperations(file, value) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS raw_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, etag TEXT)');
  const select = db.prepare('SELECT value, etag FROM raw_state WHERE key = ?');
  const upsert = db.prepare('INSERT INTO raw_state (key, value, etag) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag');
  const data = JSON.stringify(value);
  let etag = 0;
  return {
    get: async () => {
      const row = select.get(KEY);
      if (!row || row.value.length < 1_000) throw new Error('short value');
    },
    save: async () => { upsert.run(KEY, data, String(++etag)); },
    close: async () => db.close(),
  };
}

export async function state(ctx) {
  const resourcesPath = writeComponents(join(ctx.workDir, 'state'), { redis: true, rabbitmq: false });
  const sidecar = await startSidecar({ appId: 'bench-s', home: ctx.home, resourcesPath });
  await waitForGrpc(sidecar.grpcPort);
  const hop = await startStateHop(join(ctx.workDir, 'hop-state.db'));
  const value = 'v'.repeat(1_022); // 1,024 bytes as a JSON string
  const sidecarPaths = (store) => ({ get: `/v1.0/state/${store}/${KEY}`, save: `/v1.0/state/${store}` });
  const hopPaths = (store) => ({ get: `/${store}/${KEY}`, save: `/${store}/${KEY}` });
  const saveBody = JSON.stringify([{ key: KEY, value }]);
  const variants = {
    'redis/http': () => httpOperations(sidecar.baseUrl, sidecarPaths('redisstore'), saveBody),
    'redis/grpc': () => grpcOperations(sidecar.grpcPort, 'redisstore', value),
    'redis/hop': () => httpOperations(hop.origin, hopPaths('redis'), JSON.stringify(value)),
    'redis/grpc-hop': () => grpcOperations(hop.grpcPort, 'redis', value),
    'redis/raw': () => redisOperations(value),
    'sqlite/http': () => httpOperations(sidecar.baseUrl, sidecarPaths('sqlitestore'), saveBody),
    'sqlite/grpc': () => grpcOperations(sidecar.grpcPort, 'sqlitestore', value),
    'sqlite/hop': () => httpOperations(hop.origin, hopPaths('sqlite'), JSON.stringify(value)),
    'sqlite/grpc-hop': () => grpcOperations(hop.grpcPort, 'sqlite', value),
    'sqlite/raw': () => sqliteOperations(join(ctx.workDir, 'raw-state.db'), value),
  };
  const raw = {};
  try {
    for (const [name, make] of Object.entries(variants)) {
      const operations = make();
      try {
        await operations.save();
        for (const operation of ['get', 'save']) {
          ctx.log(`state ${name} ${operation}: open loop at ${RATE}/s, then closed loop`);
          raw[`${name}/${operation}@rate`] = await constantRate(operations[operation], { rate: RATE, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
          raw[`${name}/${operation}@max`] = await closedLoop(operations[operation], { concurrency: 16, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
        }
      } finally {
        await operations.close();
      }
    }
  } finally {
    await Promise.all([sidecar.stop(), hop.stop()]);
  }
  if (has('redis-benchmark')) {
    ctx.log('state: redis-benchmark GET/SET, 1 KB, 16 clients');
    raw.redisBenchmark = await redisBenchmark({ requests: ctx.quick ? 20_000 : 100_000, clients: 16, size: 1_024 }).catch((error) => ({ error: error.message }));
  }
  return report(raw);
}

function report(raw) {
  const rows = [];
  const targets = [];
  for (const store of ['redis', 'sqlite']) {
    for (const operation of ['get', 'save']) {
      const base = raw[`${store}/raw/${operation}@rate`];
      const baseMax = raw[`${store}/raw/${operation}@max`];
      const hopOver = (api) => (raw[`${store}/${api}/${operation}@rate`]?.p50 ?? NaN) - base.p50;
      for (const api of ['http', 'grpc', 'hop', 'grpc-hop', 'raw']) {
        const atRate = raw[`${store}/${api}/${operation}@rate`];
        const max = raw[`${store}/${api}/${operation}@max`];
        if (!atRate) continue;
        const isRaw = api === 'raw';
        const through = { raw: 'client library', hop: 'plain Node HTTP hop', 'grpc-hop': 'plain Node gRPC hop' }[api] ?? `sidecar ${api}`;
        rows.push([store, operation, through, atRate.p50, atRate.p99, isRaw ? 0 : atRate.p50 - base.p50, isRaw ? 0 : atRate.p99 - base.p99,
          max.rate, times(ratio(max.rate, baseMax.rate)), atRate.errors + max.errors, atRate.dropped]);
        if (operation === 'get' && (api === 'http' || api === 'grpc')) {
          const over = atRate.p50 - base.p50;
          targets.push({ name: `state get +p50 over the client library, ${store}, ${api} API`, bar: '≤ 0.20 ms', measured: `${over.toFixed(2)} ms`, pass: over <= 0.2, floor: `plain Node ${api === 'http' ? 'HTTP' : 'gRPC'} hop +${hopOver(api === 'http' ? 'hop' : 'grpc-hop').toFixed(2)} ms` });
        }
      }
    }
  }
  return {
    sections: [{
      title: '2. State get and save (1 KB value)',
      intro: 'p50/p99 from the open-loop generator at 1,000 ops/s; max ops/s from a closed loop with 16 in flight (HTTP: undici pool of 16 connections; gRPC: one grpc-js channel; ioredis: one connection, pipelined; better-sqlite3: synchronous, in the bench process). '
        + 'The plain Node HTTP and gRPC hops are bench/apps/state-hop.mjs in its own process: node:http, and grpc-js with protobuf-es, in front of the same client-library calls, nothing else; they are what any Node hop costs before runtime work. Overheads are against the client library in the same run.',
      columns: ['store', 'op', 'through', 'p50 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'max ops/s', 'max vs raw', 'errors', 'not sent at 1,000/s (256 in flight)'],
      rows,
      notes: raw.redisBenchmark?.GET ? [`Redis itself (redis-benchmark, 16 clients, 1 KB, no pipelining): GET ${Math.round(raw.redisBenchmark.GET.rate).toLocaleString('en-US')}/s p50 ${raw.redisBenchmark.GET.p50} ms, SET ${Math.round(raw.redisBenchmark.SET.rate).toLocaleString('en-US')}/s p50 ${raw.redisBenchmark.SET.p50} ms.`] : [],
    }],
    targets,
    raw,
  };
}
