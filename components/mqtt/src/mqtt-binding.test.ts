import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ComponentRegistry, type BindingEvent } from '@outrigger/components-api';
import { waitFor } from '@outrigger/kit';
import { MqttBinding, registerMqttComponents } from './index.js';
import { BROKER_URL, discardSessions, skipReason, testContext } from './testing/broker.js';

const skip = await skipReason();
const clientIds = new Set<string>();
after(() => discardSessions(clientIds));

async function open(metadata: Record<string, string>): Promise<MqttBinding> {
  const binding = new MqttBinding();
  const base = metadata.consumerID ?? 'test-app';
  clientIds.add(`${base}-consumer`);
  clientIds.add(`${base}-producer`);
  await binding.init(testContext({ url: BROKER_URL, ...metadata }));
  return binding;
}

const id = (): string => randomUUID().slice(0, 8);
const request = (text: string, metadata: Record<string, string> = {}) => ({ operation: 'create', data: new Uint8Array(Buffer.from(text)), metadata });

describe('bindings.mqtt3', { skip }, () => {
  it('is registered as bindings.mqtt3 and bindings.mqtt, and needs url and topic', async () => {
    const registry = new ComponentRegistry();
    registerMqttComponents(registry);
    assert.equal(registry.resolve('bindings.mqtt', 'v1').type, 'bindings.mqtt3');
    await assert.rejects(new MqttBinding().init(testContext({ url: BROKER_URL })), /topic/);
    await assert.rejects(new MqttBinding().init(testContext({ topic: 't' })), /url/);
  });

  it('create publishes to the topic; the input delivers it with the topic as metadata', async () => {
    const topic = `outrigger-test/binding/${id()}`;
    const binding = await open({ topic, consumerID: `binding-${id()}` });
    assert.deepEqual(binding.operations(), ['create']);
    const events: BindingEvent[] = [];
    const reader = await binding.read(async (event) => {
      events.push(event);
    });
    assert.equal(await binding.invoke(request('{"reading":42}')), undefined);
    await waitFor('the event', () => events.length === 1);
    assert.equal(Buffer.from(events[0]?.data ?? []).toString(), '{"reading":42}');
    assert.equal(events[0]?.metadata.topic, topic);
    await reader.close();
    await binding.close();
  });

  it('publishes to the request\'s topic metadata instead of the component topic', async () => {
    const base = `outrigger-test/binding/${id()}`;
    const listener = await open({ topic: `${base}/#`, consumerID: `listener-${id()}` });
    const events: BindingEvent[] = [];
    const reader = await listener.read(async (event) => {
      events.push(event);
    });
    const sender = await open({ topic: `${base}/default`, consumerID: `sender-${id()}` });
    await sender.invoke(request('elsewhere', { topic: `${base}/other` }));
    await waitFor('the event', () => events.length === 1);
    assert.equal(events[0]?.metadata.topic, `${base}/other`);
    await reader.close();
    await Promise.all([listener.close(), sender.close()]);
  });

  it('an event the app refuses is retried backOffMaxRetries times', async () => {
    const topic = `outrigger-test/binding/${id()}`;
    const binding = await open({ topic, consumerID: `retry-${id()}`, backOffMaxRetries: '1' });
    let attempts = 0;
    const reader = await binding.read(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('refused on purpose');
    });
    await binding.invoke(request('again'));
    // One retry, 5 s after the refusal (Dapr's constant back-off).
    await waitFor('the retry', () => attempts === 2, 15_000);
    await reader.close();
    await binding.close();
  });
});
