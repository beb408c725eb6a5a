'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, like the module it stands in for. */
// What better-sqlite3 (lib/database.js) gets for `require('bindings')` in the CLI bundle
// (scripts/bundle-cli.mjs). `bindings` looks for the addon beside the file that calls it, which in the
// bundle is the bundle's folder; the addon is where npm built it, in better-sqlite3's own folder, found
// here by node's resolution from the bundle (the same place node_modules gives the package).
module.exports = function bindings(name) {
  return require(require.resolve(`better-sqlite3/build/Release/${name}`));
};
