import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ComponentContext } from '@outrigger/components-api';
import { serviceUnavailable, silentTestContext, tcpConnect } from '@outrigger/components-api/testing';

/** The shared test server (see the working rules); tests make their own streams and delete them. */
export const NATS_URL = process.env.OUTRIGGER_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A component context with a silent logger. */
export function testContext(metadata: Record<string, string>, appId = 'test-app'): ComponentContext {
  return silentTestContext('test-jetstream', metadata, appId);
}

/** Why the server tests do not run, or undefined when they do (under CI=true an unreachable server fails the run). */
export function skipReason(): Promise<string | undefined> {
  return serviceUnavailable(`no NATS server is reachable at ${new URL(NATS_URL).host} (start nats-server -js, or set OUTRIGGER_TEST_NATS_URL)`, () => tcpConnect(NATS_URL, 4222));
}

/**
 * A stream made for one test run, whose subjects grow as tests name topics (a topic must be in a
 * stream before it is published or subscribed to). `remove()` deletes it with its consumers.
 */
export class TestStream {
  private updates: Promise<unknown> = Promise.resolve();
  private readonly subjects = new Set<string>();

  private constructor(readonly name: string, private readonly connection: NatsConnection, private readonly jsm: JetStreamManager) {}

  static async create(name: string, url = NATS_URL): Promise<TestStream> {
    const connection = await connect({ servers: url });
    const jsm = await jetstreamManager(connection);
    await jsm.streams.add({ name, subjects: [`${name}.placeholder`] });
    return new TestStream(name, connection, jsm);
  }

  /** Adds `subject` to the stream (once; updates are serialised). */
  include(subject: string): Promise<void> {
    if (this.subjects.has(subject)) return this.updates.then(() => undefined);
    this.subjects.add(subject);
    const next = this.updates.then(async () => {
      const info = await this.jsm.streams.info(this.name);
      await this.jsm.streams.update(this.name, { ...info.config, subjects: [...info.config.subjects ?? [], subject] });
    });
    this.updates = next.catch(() => undefined);
    return next;
  }

  /** Messages in the stream. */
  async count(): Promise<number> {
    return (await this.jsm.streams.info(this.name)).state.messages;
  }

  get manager(): JetStreamManager {
    return this.jsm;
  }

  async remove(): Promise<void> {
    await this.jsm.streams.delete(this.name).catch(() => undefined);
    await this.connection.close();
  }
}
