'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: esbuild runs a required module's body only when it is first required. */
// What commander (the CLI's argument parser) gets for `node:child_process` in the CLI bundle
// (scripts/bundle-cli.mjs). Commander needs it only to run executable subcommands, which the CLI has
// none of, yet requires it as it loads; node's child_process pulls in dgram, net's socket lists and more
// (about 5 ms of every sidecar's start-up). This gives commander the one function it calls, loading
// child_process on the first call.
module.exports = {
  spawn(...args) {
    return require('node:child_process').spawn(...args);
  },
};
