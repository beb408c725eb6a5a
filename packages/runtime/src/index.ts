export * from './sidecar.js';
export * from './version.js';
export * from './options/sidecar-flags.js';
export * from './options/sidecar-options.js';
export * from './resources/load-resources.js';
export * from './components/component-host.js';
export * from './component-registry.js';
export * from './nameresolution/local-registry.js';
export { prestopPath } from './api/http/lifecycle-routes.js';
