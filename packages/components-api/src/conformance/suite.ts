import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it, type TestContext } from 'node:test';
import type { StateStore } from '../state.js';

/** What every group of conformance tests gets: the shared store, unique keys, and the declaration helper. */
export interface ConformanceSuite {
  /** The store under test; valid inside a test body (created in `before`). */
  store(): StateStore;
  /** A key no other test (nor another run on a shared store) uses. */
  key(label: string): string;
  /** A key prefix no other test uses, ending with Dapr's `||` separator. */
  prefix(label: string): string;
  /**
   * Declares one test. `needs` returns why the store cannot run it (a missing capability), or undefined;
   * the test is then skipped at run time with that message.
   */
  test(name: string, body: (store: StateStore) => Promise<void>, needs?: (store: StateStore) => string | undefined): void;
}

export function createSuite(getStore: () => StateStore | undefined, skips: ReadonlyMap<string, string>): ConformanceSuite {
  // One run id per suite, plus a random part per key, so parallel runs on a shared store never meet.
  const run = randomUUID().slice(0, 8);
  const store = (): StateStore => {
    const current = getStore();
    if (!current) throw new Error('conformance: the store was not created; did create() fail?');
    return current;
  };
  return {
    store,
    key: (label) => `conformance-${run}-${label}-${randomUUID().slice(0, 8)}`,
    prefix: (label) => `conformance-${run}-${label}-${randomUUID().slice(0, 8)}||`,
    test(name, body, needs) {
      const skip = skips.get(name);
      it(name, skip === undefined ? {} : { skip }, async (context: TestContext) => {
        const missing = needs?.(store());
        if (missing !== undefined) {
          context.skip(missing);
          return;
        }
        await body(store());
      });
    },
  };
}

/** UTF-8 JSON bytes of a value, as the runtime hands them to a store. */
export function json(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Parses stored JSON bytes. */
export function parse(bytes: Uint8Array | undefined): unknown {
  assert.ok(bytes, 'expected a value');
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** Byte-exact comparison; a Buffer and a Uint8Array with the same bytes are equal here. */
export function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, message?: string): void {
  assert.ok(actual, message ?? 'expected a value');
  assert.equal(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'), message);
}

export function hasFeature(feature: 'TTL' | 'ETAG'): (store: StateStore) => string | undefined {
  return (store) => (store.features().includes(feature) ? undefined : `store does not report the ${feature} feature`);
}
