import assert from 'node:assert/strict';
import { waitFor } from '@outrigger/kit';
import { body, idOf, ids, Inbox, utf8, type PubSubConformanceSuite } from './pubsub-suite.js';

export const DELIVERY_TESTS = [
  'delivers data and content type unchanged',
  'passes publish metadata to the subscriber',
  'delivers 200 messages with none lost',
  'delivers a rejected message again',
  'a subscription receives only its own topic',
  'each consumer group receives every message',
] as const;

/** Volume test size and how long it may take on a polling broker. */
const VOLUME = 200;
const VOLUME_TIMEOUT_MS = 30_000;

export function deliveryTests(suite: PubSubConformanceSuite): void {
  suite.test('delivers data and content type unchanged', async ({ publisher, consumer, topic, group }) => {
    const name = topic('round-trip');
    const inbox = new Inbox();
    await (await consumer(group('round-trip'))).subscribe({ topic: name }, inbox.handler);
    const json = utf8(JSON.stringify({ id: 'json', text: 'é😀<&>', nested: { n: 1.5 } }));
    // Every byte value, so a broker that decodes the payload as text fails here.
    const binary = Uint8Array.from({ length: 256 }, (_, index) => index);
    await publisher.publish({ topic: name, data: json, contentType: 'application/json' });
    await publisher.publish({ topic: name, data: binary, contentType: 'application/octet-stream' });
    await waitFor('both messages', () => inbox.messages.length >= 2);
    const byType = new Map(inbox.messages.map((message) => [message.contentType, message]));
    const gotJson = byType.get('application/json');
    const gotBinary = byType.get('application/octet-stream');
    assert.ok(gotJson && gotBinary, `content types came back: ${inbox.messages.map((message) => message.contentType).join(', ')}`);
    assert.equal(Buffer.from(gotJson.data).toString('hex'), Buffer.from(json).toString('hex'));
    assert.equal(Buffer.from(gotBinary.data).toString('hex'), Buffer.from(binary).toString('hex'));
    for (const message of inbox.messages) assert.equal(message.topic, name);
  });

  suite.test('passes publish metadata to the subscriber', async ({ publisher, consumer, topic, group }) => {
    const name = topic('metadata');
    const inbox = new Inbox();
    await (await consumer(group('metadata'))).subscribe({ topic: name }, inbox.handler);
    await publisher.publish({ topic: name, data: body('m'), metadata: { 'x-conformance': 'value-1', traceparent: '00-abc-def-01' } });
    await waitFor('the message', () => inbox.messages.length >= 1);
    const metadata = inbox.messages[0]?.metadata ?? {};
    assert.equal(metadata['x-conformance'], 'value-1', `metadata received: ${JSON.stringify(metadata)}`);
    assert.equal(metadata.traceparent, '00-abc-def-01');
  });

  suite.test('delivers 200 messages with none lost', async ({ publisher, consumer, topic, group, node }) => {
    const name = topic('volume');
    const inbox = new Inbox();
    await (await consumer(group('volume'))).subscribe({ topic: name }, inbox.handler);
    const expected = ids('volume', VOLUME);
    for (const id of expected) await publisher.publish({ topic: name, data: body(id) });
    await waitFor(`all ${VOLUME} messages`, () => inbox.hasAll(expected), VOLUME_TIMEOUT_MS)
      .catch((error: Error) => {
        const missing = expected.filter((id) => inbox.deliveries(id) === 0);
        throw new Error(`${error.message}; ${missing.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
      });
    const foreign = inbox.messages.filter((message) => !expected.includes(idOf(message) ?? ''));
    assert.equal(foreign.length, 0, 'only the published messages arrive');
    const duplicates = inbox.duplicates();
    // At-least-once allows duplicates; a broker in good health should have none, so say how many.
    node.diagnostic(`${VOLUME} messages, ${inbox.messages.length} deliveries, ${duplicates.size} delivered more than once`);
  });

  suite.test('delivers a rejected message again', async ({ publisher, consumer, topic, group }) => {
    const name = topic('retry');
    const inbox = new Inbox((_message, attempt) => {
      if (attempt === 1) throw new Error('rejected on purpose by the conformance test');
    });
    await (await consumer(group('retry'))).subscribe({ topic: name }, inbox.handler);
    await publisher.publish({ topic: name, data: body('retry-me'), contentType: 'application/json' });
    await waitFor('the redelivery', () => inbox.deliveries('retry-me') >= 2);
    const [first, second] = inbox.messages;
    assert.ok(first && second);
    assert.equal(Buffer.from(second.data).toString('hex'), Buffer.from(first.data).toString('hex'), 'the redelivery has the same bytes');
    assert.equal(second.contentType, 'application/json');
  });

  suite.test('a subscription receives only its own topic', async ({ publisher, consumer, topic, group }) => {
    const [first, second] = [topic('first'), topic('second')];
    const instance = await consumer(group('topics'));
    const firstInbox = new Inbox();
    const secondInbox = new Inbox();
    await instance.subscribe({ topic: first }, firstInbox.handler);
    await instance.subscribe({ topic: second }, secondInbox.handler);
    await publisher.publish({ topic: second, data: body('to-second') });
    await publisher.publish({ topic: first, data: body('to-first') });
    await waitFor('both messages', () => firstInbox.hasAll(['to-first']) && secondInbox.hasAll(['to-second']));
    assert.deepEqual([...firstInbox.ids()], ['to-first']);
    assert.deepEqual([...secondInbox.ids()], ['to-second']);
    assert.ok(firstInbox.messages.every((message) => message.topic === first), 'messages name their topic');
    assert.ok(secondInbox.messages.every((message) => message.topic === second), 'messages name their topic');
  });

  suite.test('each consumer group receives every message', async ({ publisher, consumer, topic, group }) => {
    const name = topic('fan-out');
    const inboxes = [new Inbox(), new Inbox()];
    for (const [index, inbox] of inboxes.entries()) {
      await (await consumer(group(`fan-out-${index}`))).subscribe({ topic: name }, inbox.handler);
    }
    const expected = ids('fan-out', 20);
    for (const id of expected) await publisher.publish({ topic: name, data: body(id) });
    await waitFor('every message in both groups', () => inboxes.every((inbox) => inbox.hasAll(expected)));
    for (const inbox of inboxes) assert.equal(inbox.ids().size, expected.length);
  });
}
