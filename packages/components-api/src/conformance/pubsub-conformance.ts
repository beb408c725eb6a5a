import { describe } from 'node:test';
import { DELIVERY_TESTS, deliveryTests } from './pubsub-delivery-tests.js';
import { LIFECYCLE_TESTS, lifecycleTests } from './pubsub-lifecycle-tests.js';
import { createPubSubSuite, type PubSubFactory } from './pubsub-suite.js';

export type { PubSubFactory } from './pubsub-suite.js';

/** Every test name of the pub/sub conformance suite, for `skip` entries. */
export const PUBSUB_CONFORMANCE_TESTS: readonly string[] = [...DELIVERY_TESTS, ...LIFECYCLE_TESTS];

export interface PubSubConformanceOptions {
  /** Shown in the suite title, e.g. `pubsub.sqlite`. */
  readonly name: string;
  /**
   * Makes a NEW initialised instance of the component in consumer group `consumerId` (its `consumerID`
   * metadata), on the same broker as every other instance it makes, so tests can have several
   * consumers and groups. The suite closes each instance at the end of the test that made it.
   */
  readonly create: PubSubFactory;
  /** Tests this component deliberately does not pass, each with the reason. */
  readonly skip?: readonly { readonly test: string; readonly reason: string }[];
}

/**
 * Declares the pub/sub conformance tests with node:test: delivery of data, content type and
 * metadata; volume without loss (duplicates are reported, as at-least-once allows them);
 * redelivery of rejected messages; topic isolation; fan-out to consumer groups; competing consumers
 * within a group; close() during handling; and, when the component has them, MESSAGE_TTL and
 * bulkPublish (tests for a missing capability are skipped with a message saying which).
 *
 * Assumed semantics, as Dapr's brokers give them: a consumer group receives what is published after it
 * first subscribed, including while it has no live subscriber; rejecting a message makes it come back.
 * Every test uses its own topics and groups, so a broker can be shared with other runs. Call it at the
 * top level of a `*.test.ts` file.
 * @throws Error when `skip` names a test that does not exist, so a typo cannot silently run it.
 */
export function runPubSubConformance(options: PubSubConformanceOptions): void {
  const skips = new Map<string, string>();
  for (const { test, reason } of options.skip ?? []) {
    if (!PUBSUB_CONFORMANCE_TESTS.includes(test)) {
      throw new Error(`runPubSubConformance(${options.name}): unknown test "${test}" in skip; known tests: ${PUBSUB_CONFORMANCE_TESTS.join('; ')}`);
    }
    skips.set(test, reason);
  }
  const suite = createPubSubSuite(options.create, skips);
  describe(`pubsub conformance: ${options.name}`, () => {
    deliveryTests(suite);
    lifecycleTests(suite);
  });
}
