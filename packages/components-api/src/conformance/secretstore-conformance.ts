import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SecretStore, SecretStoreFeature } from '../secretstore.js';

/** Every test name of the secret store conformance suite, for `skip` entries. */
export const SECRET_STORE_CONFORMANCE_TESTS = [
  'get returns a secret as {name: value}',
  'values keep unicode, spaces, quotes and newlines',
  'bulk get lists every secret, each as {name: value}',
  'a missing secret throws or has no value',
  'features are Dapr capability names',
] as const;

export interface SecretStoreConformanceOptions {
  /** Shown in the suite title, e.g. `secretstores.local.file`. */
  readonly name: string;
  /**
   * Makes an initialised store that holds exactly `secrets` (single-valued: name → value) and
   * nothing else under those names. Called once, in `before`; the suite closes the store in `after`.
   * Names use only `[A-Za-z0-9_]` so that any store (environment variables included) can hold them.
   */
  readonly create: (secrets: Readonly<Record<string, string>>) => Promise<SecretStore>;
  readonly skip?: readonly { readonly test: (typeof SECRET_STORE_CONFORMANCE_TESTS)[number]; readonly reason: string }[];
}

const knownFeatures: readonly SecretStoreFeature[] = ['MULTIPLE_KEY_VALUES_PER_SECRET'];

/**
 * Declares the secret store conformance tests with node:test. Call it at the top level of a `*.test.ts` file.
 * The seeded names carry a random run id, so a store shared with other runs is not disturbed.
 */
export function runSecretStoreConformance(options: SecretStoreConformanceOptions): void {
  const run = randomUUID().slice(0, 8);
  const names = { plain: `conf_${run}_plain`, tricky: `conf_${run}_tricky`, other: `conf_${run}_other` };
  const secrets: Record<string, string> = {
    [names.plain]: 's3cr3t',
    [names.tricky]: 'é😀 "quoted" \'single\'\nsecond line\ttab = & ; $HOME',
    [names.other]: 'another value',
  };
  const skips = new Map<string, string>((options.skip ?? []).map(({ test, reason }) => [test, reason]));
  let store: SecretStore | undefined;
  const current = (): SecretStore => {
    if (!store) throw new Error('conformance: the store was not created; did create() fail?');
    return store;
  };
  const test = (name: (typeof SECRET_STORE_CONFORMANCE_TESTS)[number], body: (store: SecretStore) => Promise<void>) => {
    const skip = skips.get(name);
    it(name, skip === undefined ? {} : { skip }, () => body(current()));
  };

  describe(`secret store conformance: ${options.name}`, () => {
    before(async () => {
      store = await options.create(secrets);
    });
    after(async () => {
      await store?.close();
      store = undefined;
    });

    test('get returns a secret as {name: value}', async (secretStore) => {
      assert.deepEqual(await secretStore.getSecret({ name: names.plain }), { [names.plain]: 's3cr3t' });
    });

    test('values keep unicode, spaces, quotes and newlines', async (secretStore) => {
      assert.deepEqual(await secretStore.getSecret({ name: names.tricky }), { [names.tricky]: secrets[names.tricky] });
    });

    test('bulk get lists every secret, each as {name: value}', async (secretStore) => {
      const all = await secretStore.bulkGetSecret({});
      for (const [name, value] of Object.entries(secrets)) assert.deepEqual(all[name], { [name]: value }, `secret ${name}`);
    });

    test('a missing secret throws or has no value', async (secretStore) => {
      const name = `conf_${run}_missing`;
      let answer: Readonly<Record<string, string>> | undefined;
      try {
        answer = await secretStore.getSecret({ name });
      } catch {
        return;
      }
      const values = Object.values(answer ?? {});
      assert.ok(values.every((value) => value === ''), `a missing secret came back with a value: ${JSON.stringify(answer)}`);
    });

    test('features are Dapr capability names', async (secretStore) => {
      for (const feature of secretStore.features()) assert.ok(knownFeatures.includes(feature), `unknown feature ${feature}`);
    });
  });
}
