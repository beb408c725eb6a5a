import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, routerCheckerLink } from './routerchecker.js';
import { RecordingExchange, runLink } from './test-exchange.js';

describe('middleware.http.routerchecker', () => {
  const link = routerCheckerLink(compileRule({ rule: '^[A-Za-z0-9/._-]+$' }));

  it('passes a target that matches the rule', async () => {
    const exchange = new RecordingExchange('/v1.0/invoke/app/method/hello');
    await runLink(link, exchange);
    assert.equal(exchange.reached, true);
    assert.equal(exchange.reply, undefined);
  });

  it('answers 400 "invalid router" for a path or query that does not match', async () => {
    for (const url of ['/v1.0/invoke/app/method/he%20llo', '/v1.0/invoke/app/method/hello?x=1']) {
      const exchange = new RecordingExchange(url);
      await runLink(link, exchange);
      assert.equal(exchange.reached, false, url);
      assert.deepEqual(exchange.reply, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'invalid router' });
    }
  });

  it('is not anchored unless the rule says so, as Go\'s MatchString', async () => {
    const exchange = new RecordingExchange('/v1.0/state/store?x=1');
    await runLink(routerCheckerLink(compileRule({ rule: 'state' })), exchange);
    assert.equal(exchange.reached, true);
  });

  it('fails init on a rule that does not compile', () => {
    assert.throws(() => compileRule({ rule: '([a-z' }), /failed to compile rule regexp/);
  });
});
