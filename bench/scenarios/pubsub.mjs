// Scenario 3, pub/sub: publish-to-delivery throughput and end-to-end latency of 1 KB events on the
// embedded broker (pubsub.sqlite), Redis Streams, RabbitMQ and MQTT (Mosquitto). Through the sidecar: the bench publishes
// with POST /v1.0/publish and the sidecar delivers to app B (bench/apps/echo-http.mjs), which times each
// event from the `sentAt` inside it. Raw: the client library publishes and consumes in this process
// (ioredis XADD + XREADGROUP/XACK; amqplib confirm channel + consumer with acks, prefetch 16, Nagle off;
// MQTT.js QoS 1 both ways, Nagle off, on separate publisher and subscriber connections).
// Throughput: a burst published by 16 callers, timed from the first publish to the last delivery.
// Latency: events published at a fixed rate, delivery time minus send time.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { benchApps, sleep } from '../lib/processes.mjs';
import { startApp, startSidecar, writeComponents } from '../lib/outrigger.mjs';
import { constantRate, ratio, summarize } from '../lib/stats.mjs';
import { times } from '../lib/report.mjs';

const now = () => performance.timeOrigin + performance.now();
const pad = 'p'.repeat(980);
const event = () => JSON.stringify({ sentAt: now(), pad });

/** Publishes `count` events with `concurrency` callers. */
async function burst(publish, count, concurrency = 16) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await publish();
    }
  }));
}

async function waitUntil(what, condition, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Runs the throughput and latency measurements on one path; `received()` answers latencies so far. */
async function measure(ctx, name, { publish, received }) {
  const count = ctx.quick ? 1_000 : 5_000;
  const rate = ctx.quick ? 200 : 500;
  let delivered = [];
  const collect = async () => { delivered = delivered.concat(await received()); return delivered.length; };
  // Warm-up: a few events end to end, then forget them.
  await burst(publish, 20, 4);
  await waitUntil(`${name} warm-up deliveries`, async () => (await collect()) >= 20, 30_000);
  delivered = [];
  ctx.log(`pubsub ${name}: burst of ${count}`);
  const started = now();
  await burst(publish, count);
  const published = now();
  await waitUntil(`${name}: ${count} deliveries`, async () => (await collect()) >= count, 120_000);
  const throughput = { events: count, publishPerSecond: count / ((published - started) / 1_000), deliveredPerSecond: count / ((now() - started) / 1_000) };
  delivered = [];
  ctx.log(`pubsub ${name}: ${rate}/s for ${ctx.seconds} s`);
  const sent = await constantRate(publish, { rate, seconds: ctx.seconds, warmupSeconds: 0 });
  const expected = Math.round(rate * ctx.seconds) - sent.errors - sent.dropped;
  await waitUntil(`${name}: ${expected} deliveries at rate`, async () => (await collect()) >= expected, 60_000);
  return { throughput, latency: { ...summarize(delivered), rate, publishErrors: sent.errors } };
}

function sidecarPath(sidecar, appUrl, pubsubName, topic) {
  const pool = new Pool(sidecar.baseUrl, { connections: 16 });
  const appPool = new Pool(appUrl, { connections: 1 });
  return {
    publish: async () => {
      const answer = await pool.request({ method: 'POST', path: `/v1.0/publish/${pubsubName}/${topic}`, headers: { 'content-type': 'application/json' }, body: event() });
      await answer.body.dump();
      if (answer.statusCode !== 204) throw new Error(`publish answered ${answer.statusCode}`);
    },
    received: async () => (await (await appPool.request({ method: 'GET', path: '/bench/deliveries' })).body.json()),
    close: () => Promise.all([pool.close(), appPool.close()]),
  };
}

async function redisPath(stream) {
  const producer = new Redis({ host: '127.0.0.1', port: 6379 });
  const consumer = new Redis({ host: '127.0.0.1', port: 6379 });
  await producer.xgroup('CREATE', stream, 'bench', '$', 'MKSTREAM');
  let latencies = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const answer = await consumer.xreadgroup('GROUP', 'bench', 'c1', 'COUNT', 16, 'BLOCK', 100, 'STREAMS', stream, '>');
      for (const [, entries] of answer ?? []) {
        for (const [id, fields] of entries) {
          latencies.push(now() - JSON.parse(fields[1]).sentAt);
          await consumer.xack(stream, 'bench', id);
        }
      }
    }
  })();
  return {
    publish: () => producer.xadd(stream, '*', 'data', event()),
    received: async () => { const out = latencies; latencies = []; return out; },
    close: async () => { running = false; await loop; await producer.del(stream); producer.disconnect(); consumer.disconnect(); },
  };
}

async function rabbitPath(queue) {
  // Nagle off, as the sidecar's component has it: amqplib leaves it on, and then a publish can wait
  // 40 ms for the broker's delayed ACK.
  const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
  const publishChannel = await connection.createConfirmChannel();
  const consumeChannel = await connection.createChannel();
  await consumeChannel.assertQueue(queue, { durable: true, autoDelete: true });
  await consumeChannel.prefetch(16);
  let latencies = [];
  await consumeChannel.consume(queue, (message) => {
    latencies.push(now() - JSON.parse(message.content.toString()).sentAt);
    consumeChannel.ack(message);
  });
  return {
    publish: () => new Promise((resolvePublish, reject) => {
      publishChannel.sendToQueue(queue, Buffer.from(event()), { persistent: true, contentType: 'application/json' }, (error) => (error ? reject(error) : resolvePublish()));
    }),
    received: async () => { const out = latencies; latencies = []; return out; },
    close: async () => { await connection.close(); },
  };
}

async function mqttPath(topic) {
  const options = { protocolVersion: 4, clean: true, reconnectPeriod: 0 };
  const publisher = await mqtt.connectAsync('mqtt://127.0.0.1:1883', options);
  const subscriber = await mqtt.connectAsync('mqtt://127.0.0.1:1883', options);
  // Nagle off, as the sidecar's component has it (MQTT.js leaves it on); reconnection is off, so this socket is the only one.
  for (const client of [publisher, subscriber]) client.stream.setNoDelay(true);
  let latencies = [];
  subscriber.on('message', (_topic, payload) => latencies.push(now() - JSON.parse(payload.toString()).sentAt));
  await subscriber.subscribeAsync(topic, { qos: 1 });
  return {
    publish: () => publisher.publishAsync(topic, event(), { qos: 1 }),
    received: async () => { const out = latencies; latencies = []; return out; },
    close: async () => { await Promise.all([publisher.endAsync(), subscriber.endAsync()]); },
  };
}

export async function pubsub(ctx) {
  const suffix = Date.now().toString(36);
  const brokers = [
    // `rawPath`: the same broker through its client library (the embedded broker has none).
    { name: 'embedded', component: 'embeddedpubsub', topic: `bench-embedded-${suffix}` },
    { name: 'redis', component: 'redispubsub', topic: `bench-redis-${suffix}`, rawPath: redisPath },
    { name: 'rabbitmq', component: 'rabbitpubsub', topic: `bench-rabbit-${suffix}`, rawPath: rabbitPath },
    { name: 'mqtt', component: 'mqttpubsub', topic: `bench-mqtt-${suffix}`, rawPath: mqttPath },
  ];
  const subscriptions = brokers.map((broker) => ({ pubsubname: broker.component, topic: broker.topic, route: `/events/${broker.name}` }));
  const resourcesPath = writeComponents(join(ctx.workDir, 'pubsub'), { redis: true, rabbitmq: true, mqtt: true });
  const app = await startApp(join(benchApps, 'echo-http.mjs'), { env: { SUBSCRIPTIONS: JSON.stringify(subscriptions) } });
  const sidecar = await startSidecar({ appId: `bench-sub-${suffix}`, home: ctx.home, resourcesPath, appPort: app.port, waitForApp: true });
  const raw = {};
  try {
    for (const broker of brokers) {
      const through = sidecarPath(sidecar, `http://127.0.0.1:${app.port}`, broker.component, broker.topic);
      try {
        raw[`${broker.name}/sidecar`] = await measure(ctx, `${broker.name} through the sidecar`, through);
      } finally {
        await through.close();
      }
      if (!broker.rawPath) continue;
      const direct = await broker.rawPath(`bench-raw-${broker.name}-${suffix}`);
      try {
        raw[`${broker.name}/raw`] = await measure(ctx, `${broker.name} with the client library`, direct);
      } finally {
        await direct.close();
      }
    }
  } finally {
    await sidecar.stop();
    await app.stop();
  }
  const rows = [];
  for (const broker of brokers) {
    for (const path of ['sidecar', 'raw']) {
      const r = raw[`${broker.name}/${path}`];
      if (!r) continue;
      const base = raw[`${broker.name}/raw`];
      rows.push([broker.name, path === 'raw' ? 'client library' : 'sidecar', r.throughput.publishPerSecond, r.throughput.deliveredPerSecond, times(ratio(r.throughput.deliveredPerSecond, base?.throughput.deliveredPerSecond)),
        r.latency.rate, r.latency.p50, r.latency.p90, r.latency.p99, r.latency.count]);
    }
  }
  return {
    sections: [{
      title: '3. Pub/sub publish to delivery (1 KB events)',
      intro: `Throughput: ${ctx.quick ? '1,000' : '5,000'} events published by 16 callers, delivered/s counted from the first publish to the last delivery. Latency: events at a fixed rate, delivery time at the subscriber minus send time. The embedded broker has no separate client library to compare with.`,
      columns: ['broker', 'path', 'published/s', 'delivered/s', 'delivered vs raw', 'latency at events/s', 'p50 ms', 'p90 ms', 'p99 ms', 'events timed'],
      rows,
    }],
    targets: [],
    raw,
  };
}
