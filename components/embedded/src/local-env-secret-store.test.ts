import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSecretStoreConformance } from '@outrigger/components-api/conformance';
import { LocalEnvSecretStore } from './local-env-secret-store.js';
import { testContext } from './testing/context.js';

async function open(env: NodeJS.ProcessEnv, metadata: Record<string, string> = {}): Promise<LocalEnvSecretStore> {
  const store = new LocalEnvSecretStore(env);
  await store.init(testContext(metadata));
  return store;
}

runSecretStoreConformance({
  name: 'secretstores.local.env (with a prefix)',
  create: (secrets) => open({ UNRELATED: 'x', ...Object.fromEntries(Object.entries(secrets).map(([name, value]) => [`CONF_${name}`, value])) }, { prefix: 'CONF_' }),
});

runSecretStoreConformance({
  name: 'secretstores.local.env (the real process environment)',
  create: async (secrets) => {
    Object.assign(process.env, secrets);
    const store = new LocalEnvSecretStore();
    await store.init(testContext());
    // Closing the store also removes the variables this suite added to the process.
    const close = store.close.bind(store);
    store.close = async () => {
      for (const name of Object.keys(secrets)) delete process.env[name];
      await close();
    };
    return store;
  },
});

describe('secretstores.local.env', () => {
  const env = { MYAPP_DB: 'db-secret', MYAPP_: 'only the prefix', OTHER: 'other', DAPR_API_TOKEN: 'sidecar token', APP_API_TOKEN: 'app token', dapr_lower: 'hidden too' };

  it('with a prefix, lists only the matching variables, prefix stripped', async () => {
    const store = await open(env, { prefix: 'MYAPP_' });
    assert.deepEqual(await store.bulkGetSecret({}), { DB: { DB: 'db-secret' } });
    assert.deepEqual(await store.getSecret({ name: 'DB' }), { DB: 'db-secret' });
    assert.deepEqual(await store.getSecret({ name: 'OTHER' }), { OTHER: '' }, 'a variable outside the prefix is not reachable');
  });

  it('never gives out APP_API_TOKEN or DAPR_* variables', async () => {
    const store = await open(env);
    const all = await store.bulkGetSecret({});
    assert.deepEqual(Object.keys(all).sort(), ['MYAPP_', 'MYAPP_DB', 'OTHER']);
    assert.deepEqual(await store.getSecret({ name: 'DAPR_API_TOKEN' }), { DAPR_API_TOKEN: '' });
    assert.deepEqual(await store.getSecret({ name: 'APP_API_TOKEN' }), { APP_API_TOKEN: '' });
    assert.deepEqual(await store.getSecret({ name: 'dapr_lower' }), { dapr_lower: '' });
  });

  it('reads a variable that is not set as an empty value, and sees later changes', async () => {
    const live: NodeJS.ProcessEnv = {};
    const store = await open(live);
    assert.deepEqual(await store.getSecret({ name: 'LATER' }), { LATER: '' });
    live.LATER = 'now set';
    assert.deepEqual(await store.getSecret({ name: 'LATER' }), { LATER: 'now set' });
  });
});
