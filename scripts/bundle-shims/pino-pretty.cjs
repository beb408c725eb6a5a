'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: esbuild runs a required module's body only when it is first required. */
// What `import pretty from 'pino-pretty'` (packages/kit/src/logger.ts) gets in the CLI bundle
// (scripts/bundle-cli.mjs): a function that requires pino-pretty when first called, so a sidecar
// started with --log-as-json never evaluates it and its dependencies (about 25 modules).
module.exports = function pretty(options) {
  return require('pino-pretty')(options);
};
