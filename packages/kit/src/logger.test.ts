import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from './logger.js';

it('writes JSON lines with Dapr\'s field names in JSON mode', async () => {
  const destination = new PassThrough();
  let written = '';
  destination.on('data', (chunk: Buffer) => { written += chunk.toString(); });
  const logger = createLogger({ scope: 'outrigger.runtime', appId: 'shop', json: true, version: '1.2.3', destination });
  logger.info('hello');
  await new Promise((resolve) => setImmediate(resolve));
  const line = JSON.parse(written.trim().split('\n')[0] ?? '{}') as Record<string, unknown>;
  assert.equal(line.msg, 'hello');
  assert.equal(line.level, 'info');
  assert.equal(line.scope, 'outrigger.runtime');
  assert.equal(line.app_id, 'shop');
  assert.equal(line.ver, '1.2.3');
  assert.equal(typeof line.instance, 'string');
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
});

it('respects the level', async () => {
  const destination = new PassThrough();
  let written = '';
  destination.on('data', (chunk: Buffer) => { written += chunk.toString(); });
  const logger = createLogger({ scope: 's', json: true, level: 'warn', destination });
  logger.info('quiet');
  logger.warn('loud');
  await new Promise((resolve) => setImmediate(resolve));
  assert.doesNotMatch(written, /quiet/);
  assert.match(written, /loud/);
});
