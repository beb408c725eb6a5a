// Streaming subscriptions (SubscribeTopicEventsAlpha1) with both kinds of gRPC client: a Connect client
// (as @dapr/dapr 3.18 uses) and grpc-js with the stubs shipped in @dapr/dapr 3.6.1. The client answers
// each event SUCCESS, RETRY or DROP; the metadata API lists open streams as STREAMING.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { daprGrpcClient, waitForGrpcApi } from '../harness/grpc.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';
import { writeFile } from '../harness/processes.js';

const require = createRequire(import.meta.url);
const unique = (): string => Math.random().toString(36).slice(2, 10);

/** Answers a client gives: SUCCESS 0, RETRY 1, DROP 2 (TopicEventResponse.TopicEventResponseStatus). */
type Answer = 0 | 1 | 2;

interface ReceivedEvent { readonly id: string; readonly data: string; readonly topic: string; readonly extensions: Record<string, unknown> }

interface StreamOptions {
  readonly pubsubName: string;
  readonly topic: string;
  readonly deadLetterTopic?: string;
  /** How to answer each event; called in arrival order. */
  readonly answer: (event: ReceivedEvent) => Answer;
}

/** One open streaming subscription, whatever the client library. */
interface OpenStream {
  readonly received: ReceivedEvent[];
  /** Resolves when the sidecar ends the stream (or it fails). */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** A tiny async queue for a Connect client's request stream. */
class RequestQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private done = false;
  push(item: T): void { this.items.push(item); this.wake?.(); }
  end(): void { this.done = true; this.wake?.(); }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) { yield item; continue; }
      if (this.done) return;
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }
}

async function openConnectStream(port: number, options: StreamOptions): Promise<OpenStream> {
  const client = daprGrpcClient(port);
  const requests = new RequestQueue<Parameters<typeof client.subscribeTopicEventsAlpha1>[0] extends AsyncIterable<infer R> ? R : never>();
  requests.push({ subscribeTopicEventsRequestType: { case: 'initialRequest', value: { pubsubName: options.pubsubName, topic: options.topic, deadLetterTopic: options.deadLetterTopic } } });
  const abort = new AbortController();
  const responses = client.subscribeTopicEventsAlpha1(requests, { signal: abort.signal })[Symbol.asyncIterator]();
  const first = await responses.next();
  assert.equal(first.value?.subscribeTopicEventsResponseType.case, 'initialResponse', 'the first message is the initial response');
  const received: ReceivedEvent[] = [];
  const reading = (async () => {
    for (let next = await responses.next(); !next.done; next = await responses.next()) {
      const message = next.value.subscribeTopicEventsResponseType;
      if (message.case !== 'eventMessage') continue;
      const event = { id: message.value.id, data: Buffer.from(message.value.data).toString('utf8'), topic: message.value.topic, extensions: message.value.extensions ?? {} };
      received.push(event);
      requests.push({ subscribeTopicEventsRequestType: { case: 'eventProcessed', value: { id: event.id, status: { status: options.answer(event) } } } });
    }
  })().catch(() => undefined);
  return {
    received,
    ended: reading,
    async close() {
      requests.end();
      await reading;
      abort.abort();
    },
  };
}

async function openGrpcJsStream(port: number, options: StreamOptions): Promise<OpenStream> {
  // The grpc-js stubs generated for @dapr/dapr 3.6.1 (google-protobuf messages).
  const services = require('dapr-sdk-361/proto/dapr/proto/runtime/v1/dapr_grpc_pb.js') as { DaprClient: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientDuplexStream<unknown, unknown>> };
  const messages = require('dapr-sdk-361/proto/dapr/proto/runtime/v1/dapr_pb.js') as Record<string, new () => Record<string, (...args: unknown[]) => unknown>>;
  const callbacks = require('dapr-sdk-361/proto/dapr/proto/runtime/v1/appcallback_pb.js') as Record<string, new () => Record<string, (...args: unknown[]) => unknown>>;
  const client = new services.DaprClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const stream = client.subscribeTopicEventsAlpha1!() as grpc.ClientDuplexStream<unknown, { getInitialResponse(): unknown; getEventMessage(): Record<string, () => unknown> | undefined }>;
  const initial = new messages.SubscribeTopicEventsRequestInitialAlpha1!();
  initial.setPubsubName!(options.pubsubName);
  initial.setTopic!(options.topic);
  if (options.deadLetterTopic) initial.setDeadLetterTopic!(options.deadLetterTopic);
  const request = new messages.SubscribeTopicEventsRequestAlpha1!();
  request.setInitialRequest!(initial);
  const received: ReceivedEvent[] = [];
  const ended = new Promise<void>((resolve) => {
    stream.on('error', () => resolve());
    stream.on('end', () => resolve());
  });
  const started = new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.on('data', (response) => {
      if (response.getInitialResponse()) {
        resolve();
        return;
      }
      const message = response.getEventMessage();
      if (!message) return;
      const event: ReceivedEvent = {
        id: message.getId!() as string, data: Buffer.from(message.getData_asU8!() as Uint8Array).toString('utf8'), topic: message.getTopic!() as string,
        extensions: (message.getExtensions!() as { toJavaScript(): Record<string, unknown> } | undefined)?.toJavaScript() ?? {},
      };
      received.push(event);
      const status = new callbacks.TopicEventResponse!();
      status.setStatus!(options.answer(event));
      const processed = new messages.SubscribeTopicEventsRequestProcessedAlpha1!();
      processed.setId!(event.id);
      processed.setStatus!(status);
      const answer = new messages.SubscribeTopicEventsRequestAlpha1!();
      answer.setEventProcessed!(processed);
      stream.write(answer);
    });
  });
  stream.write(request);
  await started;
  return {
    received,
    ended,
    async close() {
      stream.end();
      await ended;
      client.close();
    },
  };
}

const clients = [
  { name: 'a Connect client (@dapr/dapr 3.18 transport)', open: openConnectStream },
  { name: 'grpc-js with the @dapr/dapr 3.6.1 stubs', open: openGrpcJsStream },
] as const;

describe('streaming subscriptions (SubscribeTopicEventsAlpha1)', () => {
  const dir = tempDir('outrigger-grpc-streaming-');
  let sidecar: SidecarHandle;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml('pubsub'));
    sidecar = await startRun({ appId: 'streamer', resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar' });
    await waitForGrpcApi(sidecar);
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  const publish = (topic: string, data: object) => call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/${topic}`, data, { 'content-type': 'application/json' });
  const streamingSubscriptions = async () => ((await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { subscriptions: { topic: string; type: string; deadLetterTopic?: string; rules: unknown }[] })
    .subscriptions.filter((subscription) => subscription.type === 'STREAMING');

  for (const client of clients) {
    describe(client.name, () => {
      it('delivers events, retries on RETRY, dead-letters on DROP, and lists the stream as STREAMING', async () => {
        const topic = `orders-${unique()}`;
        const dead = `dead-${unique()}`;
        const attempts = new Map<string, number>();
        const stream = await client.open(sidecar.grpcPort, {
          pubsubName: 'pubsub', topic, deadLetterTopic: dead,
          answer: (event) => {
            const { want } = JSON.parse(event.data) as { want: string };
            const count = (attempts.get(want) ?? 0) + 1;
            attempts.set(want, count);
            if (want === 'retry-once') return count === 1 ? 1 : 0;
            return want === 'drop' ? 2 : 0;
          },
        });
        const deadLetters = await client.open(sidecar.grpcPort, { pubsubName: 'pubsub', topic: dead, answer: () => 0 });
        try {
          const listed = await streamingSubscriptions();
          const mine = listed.find((subscription) => subscription.topic === topic);
          assert.deepEqual([mine?.deadLetterTopic, mine?.rules], [dead, [{ match: '', path: '/' }]]);
          const viaGrpc = await daprGrpcClient(sidecar.grpcPort).getMetadata({});
          assert.equal(viaGrpc.subscriptions.find((subscription) => subscription.topic === topic)?.type, 3, 'STREAMING in GetMetadata');

          for (const want of ['ok', 'retry-once', 'drop']) assert.equal((await publish(topic, { want })).status, 204);
          await waitFor('every answer', () => attempts.get('ok') === 1 && attempts.get('retry-once') === 2 && attempts.get('drop') === 1, 10_000, 20);
          await waitFor('the dropped event on the dead-letter topic', () => deadLetters.received.length === 1, 10_000, 20);
          assert.deepEqual(JSON.parse(deadLetters.received[0]?.data ?? '{}'), { want: 'drop' });
          const first = stream.received[0];
          assert.equal(first?.topic, topic);
          assert.equal(first?.extensions.pubsubname, 'pubsub', 'CloudEvent extensions travel in `extensions`');
          // Nothing else arrives: SUCCESS and DROP are final.
          await publish(topic, { want: 'ok' });
          await waitFor('the last event', () => attempts.get('ok') === 2, 10_000, 20);
          assert.equal(stream.received.length, 5);
        } finally {
          await Promise.all([stream.close(), deadLetters.close()]);
        }
        await waitFor('the streams to leave the metadata API', async () => (await streamingSubscriptions()).every((subscription) => subscription.topic !== topic && subscription.topic !== dead), 5_000, 20);
      });
    });
  }

  it('hands unanswered events back to the broker when a stream closes, for the next subscriber', async () => {
    const topic = `handover-${unique()}`;
    const first = await openConnectStream(sidecar.grpcPort, { pubsubName: 'pubsub', topic, answer: () => 1 });
    await publish(topic, { n: 1 });
    await waitFor('the first delivery', () => first.received.length > 0, 10_000, 20);
    await first.close();
    const second = await openGrpcJsStream(sidecar.grpcPort, { pubsubName: 'pubsub', topic, answer: () => 0 });
    try {
      await waitFor('the event at the second stream', () => second.received.length === 1, 10_000, 20);
      assert.deepEqual(JSON.parse(second.received[0]?.data ?? '{}'), { n: 1 });
    } finally {
      await second.close();
    }
  });

  it('ends open streams when the sidecar stops, instead of waiting out the grace period', async () => {
    const resources = join(dir.path, 'resources');
    const stopping = await startRun({
      appId: `stopping-${unique()}`, resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar', extraFlags: ['--dapr-graceful-shutdown-seconds', '30'],
    });
    try {
      await waitForGrpcApi(stopping);
      const streams = await Promise.all(clients.map((client) => client.open(stopping.grpcPort, { pubsubName: 'pubsub', topic: 'held', answer: () => 0 })));
      const started = Date.now();
      stopping.process.child.kill('SIGTERM');
      assert.equal(await stopping.process.exited, 0, stopping.process.output);
      await Promise.all(streams.map((stream) => stream.ended));
      assert.ok(Date.now() - started < 10_000, `stopped in ${Date.now() - started} ms with streams open`);
    } finally {
      await stopping.stop();
    }
  });

  it('refuses a stream whose first message is not an initial request, or that names an unknown pub/sub', async () => {
    const client = daprGrpcClient(sidecar.grpcPort);
    const consume = async (requests: AsyncIterable<never>) => {
      for await (const message of client.subscribeTopicEventsAlpha1(requests)) void message;
    };
    await assert.rejects(consume((async function* () {
      yield { subscribeTopicEventsRequestType: { case: 'eventProcessed', value: { id: 'x' } } } as never;
    })()), (error: Error & { code?: number }) => error.code === 3 && /initial request is required/.test(error.message));
    await assert.rejects(consume((async function* () {
      yield { subscribeTopicEventsRequestType: { case: 'initialRequest', value: { pubsubName: 'nope', topic: 't' } } } as never;
    })()), (error: Error & { code?: number }) => error.code === 3 && /pubsub nope is not found/.test(error.message));
  });
});
