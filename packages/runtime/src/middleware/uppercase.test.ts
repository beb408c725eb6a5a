import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { upperCaseLink, upperCaseRunes, upperCaseStream, upperCaseMiddleware } from './uppercase.js';
import { RecordingExchange, runLink } from './test-exchange.js';
import { createLogger } from '@outrigger/kit';

describe('middleware.http.uppercase', () => {
  it('upper-cases the request body and passes the request on', async () => {
    const exchange = new RecordingExchange('/m', {}, null, 'POST', '{"message":"hello world"}');
    await runLink(upperCaseLink(), exchange);
    assert.equal(exchange.reached, true);
    assert.equal(await exchange.bodyAsSent(), '{"MESSAGE":"HELLO WORLD"}');
  });

  it('upper-cases rune by rune as Go does: ß has no single upper-case rune and stays', () => {
    assert.equal(upperCaseRunes('straße é ǆ'), 'STRAßE É Ǆ');
  });

  it('keeps a character split across chunks whole', async () => {
    const bytes = Buffer.from('aé b', 'utf8');
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2)];
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(upperCaseStream())) out.push(chunk as Buffer);
    assert.equal(Buffer.concat(out).toString('utf8'), 'AÉ B');
  });

  it('upper-cases the response body with direction response, both bodies with both; any other value means request', async () => {
    const logger = createLogger({ scope: 'test', level: 'silent' });
    const cases: [string | undefined, string, string][] = [
      ['response', 'ask', 'ANSWER'],
      ['both', 'ASK', 'ANSWER'],
      ['Request', 'ASK', 'answer'],
      ['sideways', 'ASK', 'answer'],
      [undefined, 'ASK', 'answer'],
    ];
    for (const [direction, request, response] of cases) {
      const component = upperCaseMiddleware.create();
      await component.init({ name: 'up', metadata: direction === undefined ? {} : { direction }, appId: 'a', namespace: '', logger });
      const exchange = new RecordingExchange('/m', {}, null, 'POST', 'ask');
      await runLink(component.link(), exchange);
      assert.equal(await exchange.bodyAsSent(), request, `${direction}: request`);
      assert.equal(await exchange.responseAsSent('answer'), response, `${direction}: response`);
    }
  });
});
