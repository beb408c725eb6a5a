#!/usr/bin/env node
// Entry of `outrigger` (the bin imports it; tests and `outrigger run` spawn it): picks the bundle or
// the compiled modules (cli-entry.ts) and loads nothing else, so the choice costs one small file read.
import { cliEntry } from './cli-entry.js';

await import(cliEntry(new URL('.', import.meta.url)).href);
