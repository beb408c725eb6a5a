import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { HTTPExtension_Verb } from '@dapr/dapr/proto/dapr/proto/common/v1/common_pb.js';
import { ListTopicSubscriptionsResponseSchema } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import { loadCel } from '../../internal/cel.js';
import { errorAnswer, invokeMetadata, methodOf, responseHeaders, verbOf } from './grpc-invoke-mapping.js';
import { subscriptionsFromGrpc } from './grpc-subscriptions.js';
import { eventData, eventExtensions, topicEventBulkRequest, topicEventRequest } from './grpc-topic-events.js';

// Subscription rules are CEL, which the sidecar loads only when it meets one.
await loadCel();

describe('HTTP invocation mapped to OnInvoke', () => {
  it('takes the method from the decoded, cleaned path', () => {
    assert.equal(methodOf('/orders/42'), 'orders/42');
    assert.equal(methodOf('/a%2Fb/c%20d'), 'a/b/c d');
    assert.equal(methodOf('//x/./y/../z/'), 'x/z');
    assert.equal(methodOf('/'), '');
    assert.equal(methodOf('/bad%zz'), 'bad%zz');
  });

  it('maps verbs to HTTPExtension, unknown ones to POST', () => {
    assert.equal(verbOf('GET'), HTTPExtension_Verb.GET);
    assert.equal(verbOf('patch'), HTTPExtension_Verb.PATCH);
    assert.equal(verbOf('PROPFIND'), HTTPExtension_Verb.POST);
  });

  it('sends headers as metadata, permanent HTTP headers with a dapr- prefix, plus the caller', () => {
    const metadata = invokeMetadata({ 'content-type': 'text/plain', accept: '*/*', 'x-custom': 'yes', 'grpc-timeout': '1S', 'x-bad': 'é' },
      { callerAppId: 'caller', calleeAppId: 'callee', callerNamespace: '' });
    assert.deepEqual(Object.fromEntries(metadata), {
      'dapr-content-type': 'text/plain', 'dapr-accept': '*/*', 'x-custom': 'yes', 'dapr-caller-app-id': 'caller', 'dapr-callee-app-id': 'callee',
    });
  });

  it('gives an error answer daprd\'s HTTP status and the status as JSON', () => {
    const answer = errorAnswer(new ConnectError('no such order', Code.NotFound));
    assert.equal(answer.status, 404);
    assert.deepEqual(JSON.parse(answer.body.toString()), { code: 5, message: 'no such order' });
    assert.equal(errorAnswer(new ConnectError('boom', Code.Unknown)).status, 500);
    assert.equal(errorAnswer(new ConnectError('x', Code.Unimplemented)).status, 501);
  });

  it('passes response metadata on as headers, grpc- ones renamed dapr-grpc-', () => {
    const headers = responseHeaders(new Headers({ 'content-type': 'application/grpc', 'grpc-accept-encoding': 'gzip', 'x-trace': 't', 'x-bin': 'AAAA' }));
    assert.deepEqual(headers, { 'dapr-grpc-accept-encoding': 'gzip', 'x-trace': 't' });
  });
});

describe('CloudEvents mapped to TopicEventRequest', () => {
  const event = {
    id: 'e1', source: 'app', type: 'com.dapr.event.sent', specversion: '1.0', datacontenttype: 'application/json',
    data: { total: 3 }, topic: 'orders', pubsubname: 'pubsub', traceparent: '00-abc', custom: { nested: true },
  };

  it('fills the fields and puts the other attributes in extensions', () => {
    const request = topicEventRequest({ path: 'orders-route', topic: 'orders', pubsubName: 'pubsub', event, metadata: undefined });
    assert.equal(request.id, 'e1');
    assert.equal(request.specVersion, '1.0');
    assert.equal(request.dataContentType, 'application/json');
    assert.equal(request.path, 'orders-route');
    assert.equal(Buffer.from(request.data as Uint8Array).toString(), '{"total":3}');
    assert.deepEqual(request.extensions, { topic: 'orders', pubsubname: 'pubsub', traceparent: '00-abc', custom: { nested: true } });
    assert.deepEqual(eventExtensions({ id: 'x', data: 1, data_base64: 'AA==' }), {});
  });

  it('turns data into bytes by content type', () => {
    assert.equal(Buffer.from(eventData({ datacontenttype: 'text/plain', data: 'hi' })).toString(), 'hi');
    assert.equal(Buffer.from(eventData({ datacontenttype: 'application/json', data: 'hi' })).toString(), '"hi"');
    assert.equal(Buffer.from(eventData({ datacontenttype: 'application/octet-stream', data_base64: Buffer.from([1, 2, 255]).toString('base64') })).toString('hex'), '0102ff');
    assert.equal(eventData({ datacontenttype: 'text/plain' }).length, 0);
    assert.throws(() => eventData({ data_base64: 'not base64!' }), /base64/);
  });

  it('sends raw payloads in bulk as bytes and keeps a broken entry out of the batch, to be retried', () => {
    const { request, failed } = topicEventBulkRequest({
      path: 'p', topic: 't', pubsubName: 'ps', entries: [
        { entryId: 'raw', event: Buffer.from('raw bytes').toString('base64'), contentType: 'application/octet-stream', metadata: {} },
        { entryId: 'broken', event: { id: 'b', data_base64: '%%%' }, contentType: 'application/cloudevents+json', metadata: {} },
      ],
    });
    assert.equal(request.entries?.length, 1);
    const raw = request.entries?.[0]?.event;
    assert.equal(raw?.case, 'bytes');
    assert.equal(Buffer.from(raw?.value as Uint8Array).toString(), 'raw bytes');
    assert.equal(failed.get('broken')?.outcome, 'retry');
  });
});

describe('ListTopicSubscriptions read as daprd reads it', () => {
  it('keeps paths as given and gives a subscription without routes the default route ""', () => {
    const { subscriptions, problems } = subscriptionsFromGrpc(create(ListTopicSubscriptionsResponseSchema, {
      subscriptions: [
        { pubsubName: 'ps', topic: 'plain' },
        { pubsubName: 'ps', topic: 'routed', routes: { rules: [{ match: ' event.type == "a" ', path: 'only-a' }], default: 'rest' }, deadLetterTopic: 'dead' },
        { pubsubName: 'ps', topic: 'bulk', routes: { default: 'b' }, bulkSubscribe: { enabled: true, maxMessagesCount: 0, maxAwaitDurationMs: 50 }, metadata: { rawPayload: 'true' } },
        { pubsubName: 'ps', topic: 'broken', routes: { rules: [{ match: 'event.type ==', path: 'x' }] } },
        { pubsubName: '', topic: 'nameless' },
      ],
    }));
    assert.deepEqual(subscriptions.map((s) => [s.topic, s.defaultPath, s.rules.map((rule) => `${rule.match}->${rule.path}`)]), [
      ['plain', '', []], ['routed', 'rest', ['event.type == "a"->only-a']], ['bulk', 'b', []],
    ]);
    assert.equal(subscriptions[1]?.deadLetterTopic, 'dead');
    assert.deepEqual(subscriptions[2]?.bulkSubscribe, { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 50 });
    assert.deepEqual(subscriptions[2]?.metadata, { rawPayload: 'true' });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /broken.*not valid CEL/);
  });
});
