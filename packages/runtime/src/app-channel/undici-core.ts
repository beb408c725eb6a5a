import type { Agent } from 'undici';

/**
 * undici's Agent with its request API, loaded without the rest of the package. undici's root module
 * also loads fetch, WebSocket, EventSource, the cache and the mocks, none of which the sidecar uses:
 * importing the root took 16 MB of RSS, these modules 8 MB (bench/results/2026-11-23-undici-core.md).
 * The root module adds the API to Dispatcher's prototype the same way; doing it twice (when something
 * else loads the root too) assigns the same functions again.
 */
export async function loadUndiciAgent(): Promise<typeof Agent> {
  const [{ default: AgentClass }, { default: DispatcherClass }, { default: api }] = await Promise.all([
    import('undici/lib/dispatcher/agent.js'),
    import('undici/lib/dispatcher/dispatcher.js'),
    import('undici/lib/api/index.js'),
  ]);
  Object.assign(DispatcherClass.prototype, api);
  return AgentClass;
}
