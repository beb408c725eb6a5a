// A baseline for the state scenario: the least a hop in front of a store does. One ioredis connection
// and one better-sqlite3 database making the same operations the scenario's client-library variants
// make (HMGET/HSET on a hash, a prepared SELECT and upsert), behind
//   HTTP: node:http, GET and POST /redis/<key> and /sqlite/<key>;
//   gRPC: grpc-js, Dapr's GetState and SaveState (store "redis" or "sqlite"), protobuf-es messages.
// No routing, validation, metrics or etag rules.
// Usage: node state-hop.mjs <http port> <grpc port> <sqlite file>
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Dapr } from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';

const [port, grpcPort, file] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS hop_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, etag TEXT)');
const select = db.prepare('SELECT value, etag FROM hop_state WHERE key = ?');
const upsert = db.prepare('INSERT INTO hop_state (key, value, etag) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag');
let version = 0;

const stores = {
  redis: {
    get: async (key) => redis.hmget(`bench-hop-${key}`, 'data', 'version'),
    save: async (key, value) => { await redis.hset(`bench-hop-${key}`, 'data', value, 'version', String(++version)); },
  },
  sqlite: {
    get: async (key) => { const row = select.get(key); return row ? [row.value, row.etag] : [null, null]; },
    save: async (key, value) => { upsert.run(key, value, String(++version)); },
  },
};

createServer((req, res) => {
  const [, storeName, key] = req.url.split('/');
  const store = stores[storeName];
  if (!store || !key) {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      if (req.method === 'GET') {
        const [data, etag] = await store.get(key);
        if (data === null) res.writeHead(204).end();
        else res.writeHead(200, { 'content-type': 'application/json', etag }).end(data);
      } else {
        await store.save(key, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      }
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
}).listen(port, '127.0.0.1', () => grpcServer.bindAsync(`127.0.0.1:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  console.log(`listening on ${port} and ${grpcPort}`);
}));

// Unary gRPC on raw bytes, decoded and encoded with protobuf-es as the sidecar does.
const identity = (bytes) => bytes;
const definitions = {};
const handlers = {};
function unary(method, handle) {
  definitions[method.name] = {
    path: `/${Dapr.typeName}/${method.name}`, requestStream: false, responseStream: false,
    requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
  };
  handlers[method.name] = (call, done) => handle(fromBinary(method.input, call.request)).then(
    (answer) => done(null, Buffer.from(toBinary(method.output, create(method.output, answer)))),
    (error) => done({ code: grpc.status.INTERNAL, details: String(error) }));
}
unary(Dapr.method.getState, async ({ storeName, key }) => {
  const [data, etag] = await stores[storeName].get(key);
  return data === null ? {} : { data: Buffer.from(data), etag };
});
unary(Dapr.method.saveState, async ({ storeName, states }) => {
  for (const item of states) await stores[storeName].save(item.key, Buffer.from(item.value).toString('utf8'));
  return {};
});
const grpcServer = new grpc.Server();
grpcServer.addService(definitions, handlers);

process.on('SIGTERM', () => { redis.disconnect(); db.close(); process.exit(0); });
