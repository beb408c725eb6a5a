import assert from 'node:assert/strict';
import { delay, waitFor } from '@outrigger/kit';
import { isBulkPublisher, type PubSubMessage } from '../pubsub.js';
import { body, gate, hasPubSubFeature, idOf, ids, Inbox, type PubSubConformanceSuite } from './pubsub-suite.js';

export const LIFECYCLE_TESTS = [
  'competing consumers in one group share the messages',
  'close() waits for handlers in flight and a new subscriber gets every unacknowledged message',
  'ttl: a message that expired before anyone consumed it is not delivered',
  'bulkPublish delivers every entry',
] as const;

/** Longest a test holds handlers back waiting for the other consumer, before giving up and failing. */
const HOLD_LIMIT_MS = 10_000;

export function lifecycleTests(suite: PubSubConformanceSuite): void {
  suite.test('competing consumers in one group share the messages', async ({ publisher, consumer, topic, group }) => {
    const name = topic('compete');
    const shared = group('compete');
    const expected = ids('compete', 60);
    const inFlight = new Map<string, string>();
    const overlaps: string[] = [];
    const inboxes = new Map<string, Inbox>();
    // Handlers hold their message until both consumers have one, so a broker that shares at all must
    // show it; HOLD_LIMIT_MS lets a broker that gives everything to one consumer fail instead of hang.
    const bothBusy = gate();
    const giveUp = setTimeout(bothBusy.open, HOLD_LIMIT_MS);
    const react = (who: string) => async (message: PubSubMessage): Promise<void> => {
      const id = idOf(message) ?? '';
      const holder = inFlight.get(id);
      if (holder !== undefined) overlaps.push(`${id} in ${holder} and ${who}`);
      inFlight.set(id, who);
      if ([...inboxes.values()].every((inbox) => inbox.messages.length > 0)) bothBusy.open();
      await bothBusy.wait;
      inFlight.delete(id);
    };
    try {
      for (const who of ['a', 'b']) {
        const inbox = new Inbox(react(who));
        inboxes.set(who, inbox);
        await (await consumer(shared)).subscribe({ topic: name }, inbox.handler);
      }
      for (const id of expected) await publisher.publish({ topic: name, data: body(id) });
      const all = (): boolean => expected.every((id) => [...inboxes.values()].some((inbox) => inbox.deliveries(id) > 0));
      await waitFor('every message in one of the two consumers', all, 30_000);
    } finally {
      clearTimeout(giveUp);
      bothBusy.open();
    }
    const counts = [...inboxes].map(([who, inbox]) => `${who}: ${inbox.ids().size}`).join(', ');
    assert.ok([...inboxes.values()].every((inbox) => inbox.ids().size > 0), `both consumers received messages (${counts})`);
    assert.deepEqual(overlaps, [], 'no message was in both consumers\' handlers at once');
  });

  suite.test('close() waits for handlers in flight and a new subscriber gets every unacknowledged message', async ({ publisher, consumer, topic, group }) => {
    const name = topic('close');
    const shared = group('close');
    const expected = ids('close', 5);
    const release = gate();
    let running = 0;
    const first = new Inbox(async () => {
      running += 1;
      try {
        await release.wait;
      } finally {
        running -= 1;
      }
      // Failing, as a handler cut short by a shutdown would: the message must not be lost.
      throw new Error('rejected on purpose by the conformance test');
    });
    const subscription = await (await consumer(shared)).subscribe({ topic: name }, first.handler);
    for (const id of expected) await publisher.publish({ topic: name, data: body(id) });
    await waitFor('a message in the first subscriber\'s handler', () => running > 0);

    let runningWhenClosed = -1;
    const closing = subscription.close().then(() => {
      runningWhenClosed = running;
    });
    // Let the handlers go only after close() has had time to return if it does not wait for them;
    // this delay makes the check sensitive, it is not what the test asserts on.
    setTimeout(release.open, 50);
    await closing;
    assert.equal(runningWhenClosed, 0, 'close() resolved only after the handlers in flight settled');
    const deliveredBeforeClose = first.messages.length;

    const second = new Inbox();
    await (await consumer(shared)).subscribe({ topic: name }, second.handler);
    await waitFor('every message in the new subscriber', () => second.hasAll(expected), 15_000)
      .catch((error: Error) => {
        const missing = expected.filter((id) => second.deliveries(id) === 0);
        throw new Error(`${error.message}; missing ${missing.join(', ')} (a lease not released on close?)`);
      });
    assert.equal(first.messages.length, deliveredBeforeClose, 'a closed subscription receives nothing more');
  });

  suite.test('ttl: a message that expired before anyone consumed it is not delivered', async ({ publisher, consumer, topic, group }) => {
    const name = topic('ttl');
    const shared = group('ttl');
    // Subscribe once and leave, so the group exists (brokers keep messages for known groups) but nobody consumes.
    const registration = await (await consumer(shared)).subscribe({ topic: name }, async () => undefined);
    await registration.close();
    const publishedAt = Date.now();
    await publisher.publish({ topic: name, data: body('expires'), metadata: { ttlInSeconds: '1' } });
    await publisher.publish({ topic: name, data: body('long-ttl'), metadata: { ttlInSeconds: '3600' } });
    await publisher.publish({ topic: name, data: body('no-ttl') });
    // Waiting for the clock, not for an event: the message must be past its TTL before anyone asks for it.
    await delay(Math.max(0, publishedAt + 1_500 - Date.now()));

    const inbox = new Inbox();
    await (await consumer(shared)).subscribe({ topic: name }, inbox.handler);
    // The expired message was published first, so a broker delivering it would do so before these two.
    await waitFor('the messages that have not expired', () => inbox.hasAll(['long-ttl', 'no-ttl']));
    assert.equal(inbox.deliveries('expires'), 0, 'the expired message was not delivered');
  }, hasPubSubFeature('MESSAGE_TTL'));

  suite.test('bulkPublish delivers every entry', async ({ publisher, consumer, topic, group }) => {
    const name = topic('bulk');
    const inbox = new Inbox();
    await (await consumer(group('bulk'))).subscribe({ topic: name }, inbox.handler);
    const expected = ids('bulk', 10);
    assert.ok(isBulkPublisher(publisher));
    const failed = await publisher.bulkPublish(name, expected.map((id) => ({ entryId: id, topic: name, data: body(id), contentType: 'application/json' })));
    assert.deepEqual(failed, [], 'no entry failed');
    await waitFor('every entry', () => inbox.hasAll(expected));
    assert.ok(inbox.messages.every((message) => message.contentType === 'application/json'), 'entries keep their content type');
  }, (pubsub) => (isBulkPublisher(pubsub) ? undefined : 'component does not implement bulkPublish'));
}
