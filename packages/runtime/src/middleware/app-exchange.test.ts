import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose } from '@outrigger/kit';
import { wholeBody } from '../app-channel/app-channel.js';
import { HttpAppChannel } from '../app-channel/http-app-channel.js';
import { appCallPipeline } from './app-exchange.js';
import { proceed, type HttpExchange, type MiddlewareLink } from './http-exchange.js';
import { upperCaseLink } from './uppercase.js';
import { routerCheckerLink } from './routerchecker.js';

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function pipelineOf(...links: MiddlewareLink[]) {
  return appCallPipeline(compose<HttpExchange, void>(links, (exchange) => exchange[proceed]()));
}

describe('appHttpPipeline on the HTTP app channel', () => {
  let app: Server;
  let port: number;
  const received: Received[] = [];

  before(async () => {
    app = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'x-app': 'yes' });
      res.end('{"status":"SUCCESS"}');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    port = (app.address() as AddressInfo).port;
  });

  after(() => {
    app.close();
    app.closeAllConnections();
  });

  function channel(pipeline: ReturnType<typeof pipelineOf>): HttpAppChannel {
    return new HttpAppChannel({ address: '127.0.0.1', port, maxConcurrency: 0, appApiToken: undefined, maxBodyBytes: 1 << 20, pipeline });
  }

  it('runs topic event deliveries through it, as daprd sends them through the channel\'s pipeline', async () => {
    const subject = channel(pipelineOf(upperCaseLink()));
    const result = await subject.deliverTopicEvent({ path: '/orders', topic: 'orders', pubsubName: 'pubsub', event: { id: '1', data: { item: 'book' } }, metadata: undefined });
    await subject.close();
    assert.equal(result.outcome, 'success', result.detail);
    const last = received.at(-1);
    assert.equal(last?.url, '/orders');
    assert.match(last?.body ?? '', /"ITEM":"BOOK"/);
  });

  it('streams invocations through it; a refusal comes back as the answer and the app is not called', async () => {
    const subject = channel(pipelineOf(routerCheckerLink(/^\/allowed/), upperCaseLink()));
    const before = received.length;
    const refused = await subject.invokeMethod({ verb: 'POST', path: '/denied', query: undefined, headers: {}, body: 'x' });
    assert.equal(refused.status, 400);
    assert.equal((await wholeBody(refused.body)).toString(), 'invalid router');
    assert.equal(received.length, before);
    const passed = await subject.invokeMethod({ verb: 'POST', path: '/allowed', query: 'a=1', headers: { 'content-length': '5' }, body: 'hello' });
    assert.equal(passed.status, 200);
    assert.equal(passed.headers['x-app'], 'yes');
    await wholeBody(passed.body);
    await subject.close();
    assert.equal(received.at(-1)?.url, '/allowed?a=1');
    assert.equal(received.at(-1)?.body, 'HELLO');
  });

  it('transforms the app\'s answer with a response transform, dropping its content-length', async () => {
    const subject = channel(pipelineOf(upperCaseLink('response')));
    const answer = await subject.invokeMethod({ verb: 'POST', path: '/allowed', query: undefined, headers: {}, body: 'quiet' });
    const text = (await wholeBody(answer.body)).toString();
    await subject.close();
    assert.equal(text, '{"STATUS":"SUCCESS"}');
    assert.equal(answer.headers['content-length'], undefined);
    assert.equal(received.at(-1)?.body, 'quiet', 'the request is left alone');
  });
});
