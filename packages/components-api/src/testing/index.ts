// Helpers for the component packages' tests against real services.
export * from './service-availability.js';
export * from './socket-options.js';
