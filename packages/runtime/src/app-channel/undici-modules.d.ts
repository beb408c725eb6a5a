// undici ships types for its package root only; these are the three of its CommonJS modules the sidecar
// loads directly (see undici-core.ts), typed as the root exports them.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export = AgentClass;
}

declare module 'undici/lib/dispatcher/dispatcher.js' {
  import type { Dispatcher } from 'undici';
  const DispatcherClass: typeof Dispatcher;
  export = DispatcherClass;
}

declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>;
  export = api;
}
