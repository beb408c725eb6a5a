export * from './component.js';
export * from './metadata.js';
export * from './registry.js';
export * from './state.js';
export * from './pubsub.js';
export * from './state-ttl.js';
export * from './query-evaluator.js';
export * from './conformance/state-conformance.js';
