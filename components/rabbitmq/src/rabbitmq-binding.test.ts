import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { BindingEvent } from '@outrigger/components-api';
import { waitFor } from '@outrigger/kit';
import { RabbitMqBinding } from './index.js';
import { BROKER_URL, queueDepth, removeTopology, skipReason, testContext } from './testing/broker.js';

const skip = await skipReason();
const queues = new Set<string>();
after(() => removeTopology(queues, []));

async function open(metadata: Record<string, string>): Promise<RabbitMqBinding> {
  const binding = new RabbitMqBinding();
  queues.add(metadata.queueName ?? '');
  await binding.init(testContext({ host: BROKER_URL, ...metadata }));
  return binding;
}

const queue = (): string => `outrigger-test-binding-${randomUUID().slice(0, 8)}`;
const request = (text: string, metadata: Record<string, string> = {}) => ({ operation: 'create', data: new Uint8Array(Buffer.from(text)), metadata });

describe('bindings.rabbitmq', { skip }, () => {
  it('refuses a missing host or queueName, and a host that is not AMQP', async () => {
    await assert.rejects(new RabbitMqBinding().init(testContext({ queueName: 'q' })), /host/);
    await assert.rejects(new RabbitMqBinding().init(testContext({ host: BROKER_URL })), /queueName/);
    await assert.rejects(new RabbitMqBinding().init(testContext({ host: 'http://127.0.0.1', queueName: 'q' })), /amqp/);
  });

  it('create sends to the queue; the input delivers it with the request metadata as headers, then acks', async () => {
    const name = queue();
    const binding = await open({ queueName: name, durable: 'true' });
    assert.deepEqual(binding.operations(), ['create']);
    // Sent before anyone reads: the queue was declared at init, so the message waits.
    assert.equal(await binding.invoke(request('{"order":1}', { 'x-source': 'test', contentType: 'application/json' })), undefined);
    assert.equal(await queueDepth(name), 1);
    const events: BindingEvent[] = [];
    const reader = await binding.read(async (event) => {
      events.push(event);
    });
    await waitFor('the event', () => events.length === 1);
    assert.equal(Buffer.from(events[0]?.data ?? []).toString(), '{"order":1}');
    assert.equal(events[0]?.metadata['x-source'], 'test');
    await waitFor('the acknowledgement', async () => (await queueDepth(name)) === 0);
    await reader.close();
    await binding.close();
  });

  it('an event the app refuses is requeued and delivered again', async () => {
    const name = queue();
    const binding = await open({ queueName: name });
    let attempts = 0;
    const reader = await binding.read(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('refused on purpose');
    });
    await binding.invoke(request('again'));
    await waitFor('the second delivery', () => attempts >= 2);
    await waitFor('the acknowledgement', async () => (await queueDepth(name)) === 0);
    await reader.close();
    await binding.close();
  });

  it('close() returns an event still being handled to the queue', async () => {
    const name = queue();
    const binding = await open({ queueName: name });
    let started = false;
    const reader = await binding.read(async () => {
      started = true;
      throw new Error('the sidecar is stopping');
    });
    await binding.invoke(request('kept'));
    await waitFor('the handler', () => started);
    await reader.close();
    await waitFor('the message back in the queue', async () => (await queueDepth(name)) === 1);
    await binding.close();
  });
});
