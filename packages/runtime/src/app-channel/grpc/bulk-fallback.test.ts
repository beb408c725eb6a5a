import assert from 'node:assert/strict';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  AppCallback, AppCallbackAlpha, TopicEventBulkResponseSchema, TopicEventResponse_TopicEventResponseStatus as Status,
  type TopicEventBulkRequest, type TopicEventBulkResponse,
} from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import type { BulkEntry } from '../../blocks/pubsub/delivery.js';
import { appCallback } from './app-callback-methods.js';
import { deliverBulkWithFallback } from './bulk-fallback.js';
import { GrpcAppChannel } from './grpc-app-channel.js';

const unimplemented = () => new ConnectError('method not implemented', Code.Unimplemented);
const answer = (statuses: [string, Status][]): TopicEventBulkResponse =>
  create(TopicEventBulkResponseSchema, { statuses: statuses.map(([entryId, status]) => ({ entryId, status })) });

describe('bulk topic events: stable method, then Alpha1', () => {
  it('falls back to OnBulkTopicEventAlpha1 when the app answers UNIMPLEMENTED to OnBulkTopicEvent', async () => {
    const asked: string[] = [];
    const results = await deliverBulkWithFallback(async (method) => {
      asked.push(method.name);
      if (method === appCallback.onBulkTopicEvent) throw unimplemented();
      return answer([['a', Status.SUCCESS], ['b', Status.RETRY], ['c', Status.DROP]]);
    }, ['a', 'b', 'c']);
    assert.deepEqual(asked, ['OnBulkTopicEvent', 'OnBulkTopicEventAlpha1']);
    assert.deepEqual([...results].map(([id, result]) => [id, result.outcome]), [['a', 'success'], ['b', 'retry'], ['c', 'drop']]);
  });

  it('uses the stable method alone when the app implements it', async () => {
    const asked: string[] = [];
    const results = await deliverBulkWithFallback(async (method) => {
      asked.push(method.name);
      return answer([['a', Status.SUCCESS]]);
    }, ['a']);
    assert.deepEqual(asked, ['OnBulkTopicEvent']);
    assert.equal(results.get('a')?.outcome, 'success');
  });

  it('does not fall back on other errors: the batch is retried', async () => {
    const asked: string[] = [];
    const results = await deliverBulkWithFallback(async (method) => {
      asked.push(method.name);
      throw new ConnectError('app restarting', Code.Unavailable);
    }, ['a', 'b']);
    assert.deepEqual(asked, ['OnBulkTopicEvent']);
    assert.deepEqual([...results.values()].map((result) => result.outcome), ['retry', 'retry']);
  });

  it('drops the batch when neither method is implemented, as daprd does', async () => {
    const results = await deliverBulkWithFallback(async () => {
      throw unimplemented();
    }, ['a', 'b']);
    assert.deepEqual([...results.values()].map((result) => result.outcome), ['drop', 'drop']);
  });

  it('retries the entries missing from the answer and ignores ids it did not send', async () => {
    const results = await deliverBulkWithFallback(async () => answer([['a', Status.SUCCESS], ['stranger', Status.SUCCESS], ['b', 7 as Status]]), ['a', 'b', 'c']);
    assert.deepEqual([...results].map(([id, result]) => [id, result.outcome]), [['a', 'success'], ['b', 'retry'], ['c', 'retry']]);
    assert.equal(results.has('stranger'), false);
  });
});

/** A gRPC app on a free port, like the JS SDK's (Connect's Node adapter over HTTP/2 without TLS). */
async function startApp(routes: (router: ConnectRouter) => void): Promise<{ server: Http2Server; port: number }> {
  const server = createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function entries(count: number): BulkEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    entryId: `e${index}`,
    event: { id: `id-${index}`, specversion: '1.0', source: 'test', type: 'com.dapr.event.sent', datacontenttype: 'application/json', data: { n: index } },
    contentType: 'application/cloudevents+json' as const,
    metadata: { origin: 'unit' },
  }));
}

describe('GrpcAppChannel bulk delivery against real gRPC apps', () => {
  const received: { method: string; request: TopicEventBulkRequest }[] = [];
  const reply = (request: TopicEventBulkRequest) => create(TopicEventBulkResponseSchema, {
    statuses: request.entries.map((entry) => ({ entryId: entry.entryId, status: entry.entryId === 'e1' ? Status.RETRY : Status.SUCCESS })),
  });
  let alphaOnly: { server: Http2Server; port: number };
  let stable: { server: Http2Server; port: number };
  const channels: GrpcAppChannel[] = [];
  const channelTo = (port: number) => {
    const channel = new GrpcAppChannel({ address: '127.0.0.1', port, maxConcurrency: -1, appApiToken: undefined, maxBodyBytes: 4 << 20 });
    channels.push(channel);
    return channel;
  };

  before(async () => {
    // As the JS SDK: AppCallback without the stable bulk method, AppCallbackAlpha with Alpha1.
    alphaOnly = await startApp((router) => {
      router.service(AppCallbackAlpha, {
        onBulkTopicEventAlpha1: (request) => {
          received.push({ method: 'alpha1', request });
          return reply(request);
        },
      });
    });
    // A newer app: the stable method on AppCallback (a service made from the same descriptor the channel sends).
    const stableService = { ...AppCallback, methods: [appCallback.onBulkTopicEvent], method: { onBulkTopicEvent: appCallback.onBulkTopicEvent } };
    stable = await startApp((router) => {
      router.service(stableService as unknown as typeof AppCallback, {
        onBulkTopicEvent: (request: TopicEventBulkRequest) => {
          received.push({ method: 'stable', request });
          return reply(request);
        },
      } as never);
      router.service(AppCallbackAlpha, {
        onBulkTopicEventAlpha1: (request) => {
          received.push({ method: 'alpha1-unexpected', request });
          return reply(request);
        },
      });
    });
  });

  after(async () => {
    await Promise.all(channels.map((channel) => channel.close()));
    for (const app of [alphaOnly, stable]) app?.server.close();
  });

  it('reaches an Alpha1-only app through the fallback, with the batch and per-entry statuses intact', async () => {
    received.length = 0;
    const results = await channelTo(alphaOnly.port).deliverBulkTopicEvent({ path: 'default', topic: 'orders', pubsubName: 'pubsub', entries: entries(3) });
    assert.deepEqual(received.map((item) => item.method), ['alpha1']);
    const request = received[0]?.request;
    assert.equal(request?.topic, 'orders');
    assert.equal(request?.pubsubName, 'pubsub');
    assert.equal(request?.path, 'default');
    assert.equal(request?.type, 'com.dapr.event.sent.bulk');
    assert.deepEqual(request?.entries.map((entry) => entry.entryId), ['e0', 'e1', 'e2']);
    const first = request?.entries[0];
    assert.equal(first?.event.case, 'cloudEvent');
    if (first?.event.case === 'cloudEvent') {
      assert.equal(first.event.value.id, 'id-0');
      assert.equal(Buffer.from(first.event.value.data).toString(), '{"n":0}');
    }
    assert.deepEqual(first?.metadata, { origin: 'unit' });
    assert.deepEqual([...results].map(([id, result]) => [id, result.outcome]), [['e0', 'success'], ['e1', 'retry'], ['e2', 'success']]);
  });

  it('uses the stable method of an app that has it, and never Alpha1', async () => {
    received.length = 0;
    const results = await channelTo(stable.port).deliverBulkTopicEvent({ path: 'p', topic: 't', pubsubName: 'ps', entries: entries(2) });
    assert.deepEqual(received.map((item) => item.method), ['stable']);
    assert.equal(results.get('e0')?.outcome, 'success');
  });

  it('retries the whole batch when the app cannot be reached', async () => {
    const closed = await startApp(() => undefined);
    const port = closed.port;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const results = await channelTo(port).deliverBulkTopicEvent({ path: 'p', topic: 't', pubsubName: 'ps', entries: entries(2) });
    assert.deepEqual([...results.values()].map((result) => result.outcome), ['retry', 'retry']);
  });
});
