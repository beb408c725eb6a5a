#!/usr/bin/env -S node --max-semi-space-size=4 --v8-pool-size=1 --liftoff-only
// Committed entry point: npm links it at install time, before the TypeScript build has made dist/.
await import('../dist/main.js');
