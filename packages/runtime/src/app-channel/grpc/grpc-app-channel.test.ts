import assert from 'node:assert/strict';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { AppCallback, AppCallbackHealthCheck } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import { HTTPExtension_Verb } from '@dapr/dapr/proto/dapr/proto/common/v1/common_pb.js';
import { wholeBody } from '../app-channel.js';
import { GrpcAppChannel } from './grpc-app-channel.js';

const servers: Http2Server[] = [];
const channels: GrpcAppChannel[] = [];

async function startApp(routes: (router: ConnectRouter) => void, port = 0): Promise<number> {
  const server = createServer(connectNodeAdapter({ routes }));
  server.on('session', (session) => server.once('close', () => session.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Stops an app as a crash would: its connections end at once. */
function crash(server: Http2Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.emit('close');
  });
}

function channelTo(port: number, appApiToken?: string): GrpcAppChannel {
  const channel = new GrpcAppChannel({ address: '127.0.0.1', port, maxConcurrency: -1, appApiToken, maxBodyBytes: 1 << 20 });
  channels.push(channel);
  return channel;
}

after(async () => {
  await Promise.all(channels.map((channel) => channel.close()));
  await Promise.all(servers.map(crash));
});

describe('GrpcAppChannel', () => {
  it('waits for HealthCheck to pass before the app counts as reachable', async () => {
    let checks = 0;
    const port = await startApp((router) => router.service(AppCallbackHealthCheck, {
      healthCheck: () => {
        checks++;
        if (checks < 3) throw new ConnectError('warming up', Code.Unavailable);
        return {};
      },
    }));
    await channelTo(port).waitUntilReachable(AbortSignal.timeout(5_000));
    assert.equal(checks, 3);
  });

  it('counts an app without AppCallbackHealthCheck as reachable once its port is open', async () => {
    const port = await startApp((router) => router.service(AppCallback, {}));
    await channelTo(port).waitUntilReachable(AbortSignal.timeout(5_000));
    assert.equal(await channelTo(port).healthProbe(AbortSignal.timeout(1_000)), false, 'as an app health check, UNIMPLEMENTED is unhealthy (daprd)');
  });

  it('invokes OnInvoke with the HTTP call mapped, the app token and the caller as metadata', async () => {
    let seen: { method: string; verb: number; query: string; contentType: string; data: string; metadata: Record<string, string> } | undefined;
    const port = await startApp((router) => router.service(AppCallback, {
      onInvoke: (request, context) => {
        seen = {
          method: request.method, verb: request.httpExtension?.verb ?? -1, query: request.httpExtension?.querystring ?? '',
          contentType: request.contentType, data: Buffer.from(request.data?.value ?? []).toString(), metadata: Object.fromEntries(context.requestHeader),
        };
        context.responseHeader.set('x-answer', 'yes');
        return { contentType: 'text/plain', data: { typeUrl: '', value: Buffer.from('done') } };
      },
    }));
    const response = await channelTo(port, 'app-secret').invokeMethod({
      verb: 'DELETE', path: '/orders/7', query: 'hard=true', headers: { 'content-type': 'application/json', 'x-request': 'r1' }, body: '{"why":"test"}',
      identity: { callerAppId: 'caller', calleeAppId: 'me', callerNamespace: 'ns' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/plain');
    assert.equal(response.headers['x-answer'], 'yes');
    assert.equal((await wholeBody(response.body)).toString(), 'done');
    assert.equal(seen?.method, 'orders/7');
    assert.equal(seen?.verb, HTTPExtension_Verb.DELETE);
    assert.equal(seen?.query, 'hard=true');
    assert.equal(seen?.contentType, 'application/json');
    assert.equal(seen?.data, '{"why":"test"}');
    assert.equal(seen?.metadata['dapr-api-token'], 'app-secret');
    assert.equal(seen?.metadata['dapr-content-type'], 'application/json');
    assert.equal(seen?.metadata['x-request'], 'r1');
    assert.equal(seen?.metadata['dapr-caller-app-id'], 'caller');
    assert.equal(seen?.metadata['dapr-caller-namespace'], 'ns');
  });

  it('reconnects when the app restarts on the same port', async () => {
    const routes = (router: ConnectRouter) => router.service(AppCallback, { onInvoke: () => ({ contentType: 'text/plain', data: { typeUrl: '', value: Buffer.from('up') } }) });
    const port = await startApp(routes);
    const channel = channelTo(port);
    const ask = async () => (await wholeBody((await channel.invokeMethod({ verb: 'GET', path: '/x', query: undefined, headers: {}, body: undefined })).body)).toString();
    assert.equal(await ask(), 'up');
    await crash(servers.pop());
    const down = await channel.invokeMethod({ verb: 'GET', path: '/x', query: undefined, headers: {}, body: undefined });
    assert.equal(down.status, 503, 'UNAVAILABLE while the app is down');
    await startApp(routes, port);
    assert.equal(await ask(), 'up');
  });

  it('asks ListInputBindings once and matches names exactly', async () => {
    let asked = 0;
    const port = await startApp((router) => router.service(AppCallback, {
      listInputBindings: () => {
        asked++;
        return { bindings: ['orders', 'cron'] };
      },
    }));
    const channel = channelTo(port);
    const target = (name: string) => ({ name, route: `/${name}` });
    assert.equal(await channel.isSubscribedToBinding(target('orders'), AbortSignal.timeout(1_000)), true);
    assert.equal(await channel.isSubscribedToBinding(target('Orders'), AbortSignal.timeout(1_000)), false);
    assert.equal(await channel.isSubscribedToBinding(target('other'), AbortSignal.timeout(1_000)), false);
    assert.equal(asked, 1);
  });

  it('tells the component when OnBindingEvent fails, and sends name, data and metadata', async () => {
    const events: { name: string; data: string; metadata: Record<string, string> }[] = [];
    const port = await startApp((router) => router.service(AppCallback, {
      onBindingEvent: (request) => {
        events.push({ name: request.name, data: Buffer.from(request.data).toString(), metadata: { ...request.metadata } });
        if (request.name === 'refused') throw new ConnectError('no thanks', Code.FailedPrecondition);
        return {};
      },
    }));
    const channel = channelTo(port);
    await channel.deliverBindingEvent({ name: 'queue', route: '/queue' }, { data: Buffer.from('payload'), metadata: { key: 'value' } });
    await assert.rejects(channel.deliverBindingEvent({ name: 'refused', route: '/refused' }, { data: new Uint8Array(), metadata: {} }), /error invoking app: .*no thanks/);
    assert.deepEqual(events[0], { name: 'queue', data: 'payload', metadata: { key: 'value' } });
  });

  it('drops an event the app does not implement OnTopicEvent for, and retries on other errors', async () => {
    let fail = true;
    const bare = await startApp((router) => router.service(AppCallback, {}));
    const flaky = await startApp((router) => router.service(AppCallback, {
      onTopicEvent: () => {
        if (fail) throw new ConnectError('busy', Code.ResourceExhausted);
        return { status: 2 };
      },
    }));
    const delivery = { path: 'p', topic: 't', pubsubName: 'ps', event: { id: '1', specversion: '1.0', data: 'x', datacontenttype: 'text/plain' }, metadata: { 'content-type': 'x', tag: 'v' } };
    assert.equal((await channelTo(bare).deliverTopicEvent(delivery)).outcome, 'drop');
    const channel = channelTo(flaky);
    assert.equal((await channel.deliverTopicEvent(delivery)).outcome, 'retry');
    fail = false;
    assert.equal((await channel.deliverTopicEvent(delivery)).outcome, 'drop', 'status DROP');
  });
});
