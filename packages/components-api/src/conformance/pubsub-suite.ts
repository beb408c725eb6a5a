import { randomUUID } from 'node:crypto';
import { it, type TestContext } from 'node:test';
import type { MessageHandler, PubSub, PubSubFeature, PubSubMessage } from '../pubsub.js';

/** Creates a new instance of the component under test in a consumer group (same broker for all). */
export type PubSubFactory = (consumerId: string) => Promise<PubSub>;

/** What one pub/sub conformance test gets. */
export interface PubSubTestContext {
  /** An instance in a consumer group no other test uses; publish with it, it never subscribes. */
  readonly publisher: PubSub;
  /** A new instance in consumer group `group`; the suite closes it after the test. */
  consumer(group: string): Promise<PubSub>;
  /** A topic name no other test (nor another run on a shared broker) uses. */
  topic(label: string): string;
  /** A consumer group name no other test uses. */
  group(label: string): string;
  /** node:test's context, for diagnostics. */
  readonly node: TestContext;
}

export interface PubSubConformanceSuite {
  /**
   * Declares one test. `needs` returns why the component cannot run it (a missing capability), or
   * undefined; the test is then skipped at run time with that message.
   */
  test(name: string, body: (context: PubSubTestContext) => Promise<void>, needs?: (pubsub: PubSub) => string | undefined): void;
}

/** Generous per-test limit: a broker may poll, and the TTL test waits for a second to pass. */
const TEST_TIMEOUT_MS = 60_000;

export function createPubSubSuite(create: PubSubFactory, skips: ReadonlyMap<string, string>): PubSubConformanceSuite {
  // One run id per suite, plus a random part per name, so parallel runs on a shared broker never meet.
  const run = randomUUID().slice(0, 8);
  const unique = (kind: string, label: string): string => `conformance-${run}-${kind}-${label}-${randomUUID().slice(0, 8)}`;
  return {
    test(name, body, needs) {
      const skip = skips.get(name);
      it(name, skip === undefined ? { timeout: TEST_TIMEOUT_MS } : { skip }, async (node: TestContext) => {
        const instances: PubSub[] = [];
        const consumer = async (group: string): Promise<PubSub> => {
          const instance = await create(group);
          instances.push(instance);
          return instance;
        };
        try {
          const publisher = await consumer(unique('group', 'publisher'));
          const missing = needs?.(publisher);
          if (missing !== undefined) {
            node.skip(missing);
            return;
          }
          await body({ publisher, consumer, node, topic: (label) => unique('topic', label), group: (label) => unique('group', label) });
        } finally {
          // Closing an instance closes its subscriptions and waits for their handlers.
          await Promise.all(instances.map((instance) => instance.close()));
        }
      });
    },
  };
}

/** The needs-check for a feature the component must report. */
export function hasPubSubFeature(feature: PubSubFeature): (pubsub: PubSub) => string | undefined {
  return (pubsub) => (pubsub.features().includes(feature) ? undefined : `component does not report the ${feature} feature`);
}

/** UTF-8 bytes of a text. */
export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** A message body naming its id, so a test can count deliveries by id. */
export function body(id: string): Uint8Array {
  return utf8(JSON.stringify({ id }));
}

/** The id of a message made by body(); undefined for anything else. */
export function idOf(message: PubSubMessage): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(message.data).toString('utf8')) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** Records every delivery a handler gets; resolves each (acknowledges) unless `react` throws. */
export class Inbox {
  readonly messages: PubSubMessage[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly react?: (message: PubSubMessage, attempt: number) => Promise<void> | void) {}

  readonly handler: MessageHandler = async (message) => {
    this.messages.push(message);
    const id = idOf(message) ?? '';
    const attempt = (this.counts.get(id) ?? 0) + 1;
    this.counts.set(id, attempt);
    await this.react?.(message, attempt);
  };

  /** Distinct ids received. */
  ids(): Set<string> {
    return new Set(this.counts.keys());
  }

  /** How many times an id was delivered. */
  deliveries(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** True once every id has been received at least once. */
  hasAll(ids: Iterable<string>): boolean {
    for (const id of ids) if (!this.counts.has(id)) return false;
    return true;
  }

  /** Ids delivered more than once, with their counts; for diagnostics. */
  duplicates(): Map<string, number> {
    return new Map([...this.counts].filter(([, count]) => count > 1));
  }
}

/** Ids `${prefix}-0` ... `${prefix}-${count - 1}`. */
export function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

/** A promise with its resolve function, to hold handlers until a test lets them go. */
export function gate(): { readonly wait: Promise<void>; readonly open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
