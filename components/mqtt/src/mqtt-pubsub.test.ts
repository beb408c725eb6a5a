import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ComponentRegistry, type PubSub, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { noDelayCalls } from '@outrigger/components-api/testing';
import { waitFor } from '@outrigger/kit';
import { MqttPubSub, registerMqttComponents, topicMatches } from './index.js';
import { BROKER_URL, discardSessions, skipReason, testContext } from './testing/broker.js';

const skip = await skipReason();
/** Client ids the tests used; their persistent sessions are discarded at the end. */
const clientIds = new Set<string>();
after(() => discardSessions(clientIds));

async function open(metadata: Record<string, string>): Promise<MqttPubSub> {
  const pubsub = new MqttPubSub();
  if (metadata.consumerID) clientIds.add(metadata.consumerID);
  await pubsub.init(testContext({ url: BROKER_URL, ...metadata }));
  return pubsub;
}

/**
 * An instance in consumer group `group` as an MQTT user builds one: its own client id, and
 * subscriptions made as shared subscriptions `$share/<group>/<topic>`.
 */
async function groupMember(group: string): Promise<PubSub> {
  const pubsub = await open({ consumerID: `${group}-${randomUUID().slice(0, 8)}` });
  const subscribe = pubsub.subscribe.bind(pubsub);
  pubsub.subscribe = (request, handler) => subscribe({ ...request, topic: `$share/${group}/${request.topic}` }, handler);
  return pubsub;
}

const unique = (label: string): string => `outrigger-test/${label}/${randomUUID().slice(0, 8)}`;
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

describe('MQTT topic filters', () => {
  it('match as the MQTT specification says, with $share prefixes removed', () => {
    const cases: [string, string, boolean][] = [
      ['a/b', 'a/b', true], ['a/+', 'a/b', true], ['a/+', 'a/b/c', false], ['a/+/c', 'a/x/c', true],
      ['a/#', 'a', true], ['a/#', 'a/b/c', true], ['#', 'x/y', true], ['+', '$SYS', false], ['#', '$SYS/x', false],
      ['$share/g/a/+', 'a/b', true], ['$share/g/a/b', 'a/c', false], ['a/b', 'a/b/c', false],
    ];
    for (const [filter, topic, expected] of cases) assert.equal(topicMatches(filter, topic), expected, `${filter} vs ${topic}`);
  });
});

if (skip) {
  describe('pubsub.mqtt3', { skip }, () => undefined);
} else {
  runPubSubConformance({
    name: 'pubsub.mqtt3 (consumer groups as $share subscriptions)',
    create: groupMember,
    skip: [
      { test: 'delivers data and content type unchanged', reason: 'MQTT 3.1.1 messages have no properties: the content type travels inside the CloudEvent, not beside it' },
      { test: 'passes publish metadata to the subscriber', reason: 'MQTT 3.1.1 messages carry no metadata (user properties came with MQTT 5)' },
      { test: 'delivers a rejected message again', reason: 'it also asserts the content type, which MQTT 3.1.1 cannot carry; redelivery is tested below' },
      {
        test: 'close() waits for handlers in flight and a new subscriber gets every unacknowledged message',
        reason: 'an unacknowledged MQTT message belongs to the session of the client that received it, so only that client id gets it back (tested below with a persistent session)',
      },
    ],
  });

  describe('pubsub.mqtt3', () => {
    it('sends packets at once: Nagle\'s algorithm is off on its connection', async () => {
      // With it on, a publish could wait for the broker's delayed ACK of a PUBACK (40 ms).
      const { result: pubsub, values } = await noDelayCalls(() => open({ consumerID: `nodelay-${randomUUID().slice(0, 8)}` }));
      try {
        assert.deepEqual(values, [true], 'set once, on the connection just made');
      } finally {
        await pubsub.close();
      }
    });

    it('is registered as pubsub.mqtt3 and pubsub.mqtt with Dapr\'s defaults', () => {
      const registry = new ComponentRegistry();
      registerMqttComponents(registry);
      const registration = registry.resolve('pubsub.mqtt', 'v1');
      assert.equal(registration.type, 'pubsub.mqtt3');
      const defaults = Object.fromEntries(registration.metadata.map((field) => [field.name, field.default]));
      assert.deepEqual([defaults.qos, defaults.retain, defaults.cleanSession], ['1', 'false', 'false']);
    });

    it('fails init with the broker address when nothing listens there, and refuses a bad url', async () => {
      await assert.rejects(new MqttPubSub().init(testContext({ url: 'tcp://user:secret@127.0.0.1:1' })),
        (error: Error) => /cannot connect to the MQTT broker at mqtt:\/\/user:\*\*\*@127\.0\.0\.1:1|tcp:\/\/user:\*\*\*@127\.0\.0\.1:1/.test(error.message) && !error.message.includes('secret'));
      await assert.rejects(new MqttPubSub().init(testContext({ url: 'http://127.0.0.1:1883' })), /url.*unsupported scheme http/);
      await assert.rejects(new MqttPubSub().init(testContext({ url: BROKER_URL, qos: '3' })), /qos/);
    });

    it('routes wildcard subscriptions (+ and #) and reports SUBSCRIBE_WILDCARDS', async () => {
      const base = unique('wild');
      const pubsub = await open({ consumerID: `wild-${randomUUID().slice(0, 8)}` });
      assert.deepEqual(pubsub.features(), ['SUBSCRIBE_WILDCARDS']);
      const single: string[] = [];
      const multi: string[] = [];
      await pubsub.subscribe({ topic: `${base}/+/status` }, async (message) => {
        single.push(message.topic);
      });
      await pubsub.subscribe({ topic: `${base}/logs/#` }, async (message) => {
        multi.push(message.topic);
      });
      for (const topic of [`${base}/a/status`, `${base}/b/status`, `${base}/logs/x/y`, `${base}/a/other`]) await pubsub.publish({ topic, data: bytes(topic) });
      await waitFor('the matching messages', () => single.length === 2 && multi.length === 1);
      assert.deepEqual(single.sort(), [`${base}/a/status`, `${base}/b/status`]);
      assert.deepEqual(multi, [`${base}/logs/x/y`], 'messages name the topic they were published to');
      await pubsub.close();
    });

    it('a persistent session gives the same client id, after a restart, what it had not acknowledged and what came meanwhile', async () => {
      const topic = unique('session');
      const clientId = `session-${randomUUID().slice(0, 8)}`;
      const first = await open({ consumerID: clientId });
      let refused = 0;
      await first.subscribe({ topic }, async () => {
        refused += 1;
        throw new Error('the sidecar is going away');
      });
      await first.publish({ topic, data: bytes('in-flight') });
      await waitFor('the first delivery', () => refused >= 1);
      await first.close();

      const publisher = await open({ consumerID: `publisher-${randomUUID().slice(0, 8)}` });
      await publisher.publish({ topic, data: bytes('while-away') });
      const second = await open({ consumerID: clientId });
      const got: string[] = [];
      // The session kept the subscription: the handler only needs to be routed again.
      await second.subscribe({ topic }, async (message) => {
        got.push(text(message));
      });
      await waitFor('both messages in the resumed session', () => got.includes('in-flight') && got.includes('while-away'));
      await Promise.all([second.close(), publisher.close()]);
    });

    it('hands a rejected message to the handler again, and acknowledges it once handled', async () => {
      const topic = unique('retry');
      const clientId = `retry-${randomUUID().slice(0, 8)}`;
      const pubsub = await open({ consumerID: clientId });
      const attempts: string[] = [];
      await pubsub.subscribe({ topic }, async (message) => {
        attempts.push(text(message));
        if (attempts.length < 3) throw new Error('rejected on purpose');
      });
      await pubsub.publish({ topic, data: bytes('retry-me') });
      await waitFor('the third delivery', () => attempts.length === 3, 15_000);
      assert.deepEqual(attempts, ['retry-me', 'retry-me', 'retry-me']);
      await pubsub.close();
      // Acknowledged: the resumed session has nothing to deliver again.
      const again = await open({ consumerID: clientId });
      const redelivered: string[] = [];
      await again.subscribe({ topic }, async (message) => {
        redelivered.push(text(message));
      });
      const marker = await open({ consumerID: `marker-${randomUUID().slice(0, 8)}` });
      await marker.publish({ topic, data: bytes('marker') });
      await waitFor('the marker', () => redelivered.includes('marker'));
      assert.deepEqual(redelivered, ['marker'], 'the acknowledged message did not come back');
      await Promise.all([again.close(), marker.close()]);
    });

    it('retain from publish metadata overrides the component setting', async () => {
      const topic = unique('retain');
      const pubsub = await open({ consumerID: `retain-${randomUUID().slice(0, 8)}` });
      await pubsub.publish({ topic, data: bytes('last-known'), metadata: { retain: 'true' } });
      const late = await open({ consumerID: `late-${randomUUID().slice(0, 8)}` });
      const got: PubSubMessage[] = [];
      await late.subscribe({ topic }, async (message) => {
        got.push(message);
      });
      await waitFor('the retained message', () => got.length === 1);
      assert.equal(got[0]?.metadata?.retained, 'true');
      await assert.rejects(pubsub.publish({ topic, data: bytes('x'), metadata: { retain: 'maybe' } }), /invalid retain/);
      // An empty retained message clears it on the broker.
      await pubsub.publish({ topic, data: new Uint8Array(), metadata: { retain: 'true' } });
      await Promise.all([pubsub.close(), late.close()]);
    });
  });
}
