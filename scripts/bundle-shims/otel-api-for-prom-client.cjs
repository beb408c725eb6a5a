'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: esbuild runs a required module's body only when it is first required. */
// What prom-client's process CPU metric (lib/metrics/processCpuTotal.js) gets for
// `require('@opentelemetry/api')` in the CLI bundle (scripts/bundle-cli.mjs). It reads `trace` and
// `context` only to attach exemplars, which the sidecar does not turn on; the API (44 modules) then
// loads on first use instead of at start-up, where nothing else needs it (tracing imports it lazily).
let api;
function load() {
  api ??= require('@opentelemetry/api');
  return api;
}
module.exports = {
  get trace() { return load().trace; },
  get context() { return load().context; },
};
