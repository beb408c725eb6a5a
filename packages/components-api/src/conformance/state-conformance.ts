import { after, before, describe } from 'node:test';
import type { StateStore } from '../state.js';
import { CORE_TESTS, coreTests, TTL_TESTS, ttlTests } from './core-tests.js';
import { QUERY_TESTS, queryTests, TRANSACTION_TESTS, transactionTests } from './optional-tests.js';
import { createSuite } from './suite.js';

/** Every test name of the state conformance suite, for `skip` entries. */
export const STATE_CONFORMANCE_TESTS: readonly string[] = [...CORE_TESTS, ...TTL_TESTS, ...TRANSACTION_TESTS, ...QUERY_TESTS];

export interface StateConformanceOptions {
  /** Shown in the suite title, e.g. `state.sqlite`. */
  readonly name: string;
  /** Makes an initialised store; called once, in `before`. The suite closes it in `after`. */
  readonly create: () => Promise<StateStore>;
  /** Tests this store deliberately does not pass, each with the reason (e.g. free-form ETags). */
  readonly skip?: readonly { readonly test: string; readonly reason: string }[];
}

/**
 * Declares the state store conformance tests with node:test: CRUD, ETags, first-write, TTL, and,
 * when the store has them, transactions and queries (tests for a missing capability are skipped
 * with a message saying which). Every test writes its own random keys, so a store can be shared
 * with other suites or runs. Call it at the top level of a `*.test.ts` file.
 * @throws Error when `skip` names a test that does not exist, so a typo cannot silently run it.
 */
export function runStateConformance(options: StateConformanceOptions): void {
  const skips = new Map<string, string>();
  for (const { test, reason } of options.skip ?? []) {
    if (!STATE_CONFORMANCE_TESTS.includes(test)) {
      throw new Error(`runStateConformance(${options.name}): unknown test "${test}" in skip; known tests: ${STATE_CONFORMANCE_TESTS.join('; ')}`);
    }
    skips.set(test, reason);
  }
  let store: StateStore | undefined;
  const suite = createSuite(() => store, skips);
  describe(`state conformance: ${options.name}`, () => {
    before(async () => {
      store = await options.create();
    });
    after(async () => {
      await store?.close();
      store = undefined;
    });
    coreTests(suite);
    ttlTests(suite);
    transactionTests(suite);
    queryTests(suite);
  });
}
