#!/usr/bin/env node
// Committed entry point: npm links it at install time, before the TypeScript build has made dist/.
await import('../dist/main.js');
