// Test-only entry (`@outrigger/components-api/conformance`): these suites import node:test and node:assert,
// so the package index must not re-export them or every sidecar start would load the test runner.
export * from './state-conformance.js';
export * from './pubsub-conformance.js';
export * from './secretstore-conformance.js';
export * from './lock-conformance.js';
export * from './configuration-conformance.js';
