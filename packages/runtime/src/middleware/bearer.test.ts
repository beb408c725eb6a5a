import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createLogger } from '@outrigger/kit';
import { bearerMiddleware } from './bearer.js';
import type { HttpMiddleware } from './http-middleware.js';
import { RecordingExchange, runLink } from './test-exchange.js';

const logger = createLogger({ scope: 'test', level: 'silent' });
const issuer = 'https://issuer.test';
const audience = 'my-app';

describe('middleware.http.bearer', () => {
  let server: Server;
  let origin: string;
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;
  let jwksRequests = 0;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        jwksRequests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: origin, jwks_uri: `${origin}/jwks.json` }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.close();
    server.closeAllConnections();
  });

  async function middleware(metadata: Record<string, string>): Promise<HttpMiddleware> {
    const component = bearerMiddleware.create();
    await component.init({ name: 'bearer', metadata, appId: 'app', namespace: '', logger });
    return component;
  }

  function token(claims: { aud?: string; iss?: string; expiresIn?: string | number } = {}, key = signingKey, kid = 'k1'): Promise<string> {
    return new SignJWT({ sub: 'someone' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuedAt()
      .setIssuer(claims.iss ?? issuer).setAudience(claims.aud ?? audience).setExpirationTime(claims.expiresIn ?? '10m').sign(key);
  }

  async function check(component: HttpMiddleware, authorization: string | undefined): Promise<RecordingExchange> {
    const exchange = new RecordingExchange('/v1.0/state/s', authorization === undefined ? {} : { authorization });
    await runLink(component.link(), exchange);
    return exchange;
  }

  it('passes a valid token and refuses missing, malformed, expired, wrong-audience, wrong-issuer and unknown-key tokens with 401', async () => {
    const component = await middleware({ issuer, audience, jwksURL: `${origin}/jwks.json` });
    assert.equal((await check(component, `Bearer ${await token()}`)).reached, true);
    assert.equal((await check(component, `bearer ${await token()}`)).reached, true, 'the scheme is case-insensitive');
    const refusals: [string, string | undefined][] = [
      ['missing', undefined],
      ['not bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['too short', 'Bearer abc'],
      ['garbage', 'Bearer not.a.jwt-at-all'],
      ['expired beyond the 5 minute skew', `Bearer ${await token({ expiresIn: Math.floor(Date.now() / 1000) - 600 })}`],
      ['wrong audience', `Bearer ${await token({ aud: 'someone-else' })}`],
      ['wrong issuer', `Bearer ${await token({ iss: 'https://evil.test' })}`],
      ['signed by another key', `Bearer ${await token({}, otherKey)}`],
    ];
    for (const [what, header] of refusals) {
      const exchange = await check(component, header);
      assert.equal(exchange.reached, false, what);
      assert.deepEqual(exchange.reply, { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Unauthorized' }, what);
    }
  });

  it('accepts a token expired less than five minutes ago, as daprd allows that skew', async () => {
    const component = await middleware({ issuer, audience, jwksURL: `${origin}/jwks.json` });
    assert.equal((await check(component, `Bearer ${await token({ expiresIn: Math.floor(Date.now() / 1000) - 60 })}`)).reached, true);
  });

  it('fetches the keys at init and finds them through the OpenID configuration when jwksURL is empty', async () => {
    const before = jwksRequests;
    const component = await middleware({ issuerURL: origin, clientID: audience });
    assert.equal(jwksRequests, before + 1, 'fetched once at init');
    const signed = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(origin).setAudience(audience).setExpirationTime('1m').sign(signingKey);
    assert.equal((await check(component, `Bearer ${signed}`)).reached, true);
  });

  it('fails init when issuer or audience is missing, or the JWKS cannot be fetched', async () => {
    await assert.rejects(middleware({ audience, jwksURL: `${origin}/jwks.json` }), /'issuer' is required/);
    await assert.rejects(middleware({ issuer, jwksURL: `${origin}/jwks.json` }), /'audience' is required/);
    await assert.rejects(middleware({ issuer, audience, jwksURL: `${origin}/missing.json` }), /failed to fetch JWKS/);
  });
});
