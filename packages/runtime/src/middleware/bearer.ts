import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { metadataValue } from '@outrigger/components-api';
import { headerValue, type HttpExchange, type MiddlewareLink } from './http-exchange.js';
import { middlewareRegistration } from './http-middleware.js';

/** daprd's bearer middleware accepts tokens up to five minutes either side of their time claims. */
const clockToleranceSeconds = 5 * 60;
/** daprd refreshes its JWKS cache at most every ten minutes; an unknown key id may refetch sooner (jose's cooldown). */
const cacheMaxAgeMs = 10 * 60 * 1000;
const fetchTimeoutMs = 30_000;

export interface BearerSettings {
  readonly issuer: string;
  readonly audience: string;
  /** Where the signing keys are; when empty, found in `<issuer>/.well-known/openid-configuration`. */
  readonly jwksURL: string;
}

/** `issuer` and `audience` are required; daprd also reads `issuerURL` and `clientID` for them. */
export function bearerSettings(metadata: Readonly<Record<string, string>>): BearerSettings {
  const issuer = metadataValue(metadata, 'issuer', 'issuerURL') ?? '';
  const audience = metadataValue(metadata, 'audience', 'clientID') ?? '';
  if (issuer === '') throw new Error(`metadata property 'issuer' is required`);
  if (audience === '') throw new Error(`metadata property 'audience' is required`);
  return { issuer, audience, jwksURL: metadataValue(metadata, 'jwksURL') ?? '' };
}

/**
 * Checks `Authorization: Bearer <JWT>` against the JWKS: signature, `iss`, `aud`, `exp`/`nbf` (five
 * minutes' skew). Any failure answers daprd's plain-text 401 `Unauthorized`; a JWKS that cannot be
 * fetched answers 500.
 */
export function bearerLink(settings: BearerSettings, keys: JWTVerifyGetKey): MiddlewareLink {
  return async (exchange, next) => {
    const token = bearerToken(exchange);
    if (token === undefined) {
      refuse(exchange, 401);
      return;
    }
    try {
      await jwtVerify(token, keys, { issuer: settings.issuer, audience: settings.audience, clockTolerance: clockToleranceSeconds });
    } catch (error) {
      refuse(exchange, keysUnavailable(error) ? 500 : 401);
      return;
    }
    await next(exchange);
  };
}

function bearerToken(exchange: HttpExchange): string | undefined {
  const header = headerValue(exchange.headers, 'authorization') ?? '';
  const prefix = 'bearer ';
  if (header.length < prefix.length + 1 || header.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
  const token = header.slice(prefix.length);
  // daprd refuses anything this short before looking at it.
  return token.length < 10 ? undefined : token;
}

/** The JWKS could not be fetched or read: the sidecar's problem, not the caller's. */
function keysUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  return !(error instanceof errors.JOSEError);
}

function refuse(exchange: HttpExchange, status: 401 | 500): void {
  exchange.respond({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: status === 401 ? 'Unauthorized' : 'Internal Server Error' });
}

/** Finds the JWKS URL in the issuer's OpenID configuration, checking that it names the same issuer. */
async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
  if (response.status !== 200) throw new Error(`failed to retrieve OpenID Configuration document: ${url} answered ${response.status}`);
  const document = await response.json() as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof document.jwks_uri !== 'string' || document.jwks_uri === '') throw new Error(`the OpenID Configuration document at ${url} has no 'jwks_uri'`);
  if (document.issuer !== issuer) {
    throw new Error(`the issuer in the OpenID Configuration document ('${String(document.issuer)}') is not the one in the component's metadata ('${issuer}')`);
  }
  return document.jwks_uri;
}

/** Fetches the keys once at init, as daprd does, so a wrong URL stops start-up rather than every request. */
async function createBearerLink(metadata: Readonly<Record<string, string>>): Promise<MiddlewareLink> {
  const settings = bearerSettings(metadata);
  const jwksURL = settings.jwksURL === '' ? await discoverJwksUrl(settings.issuer) : settings.jwksURL;
  const keys = createRemoteJWKSet(new URL(jwksURL), { cacheMaxAge: cacheMaxAgeMs, timeoutDuration: fetchTimeoutMs });
  try {
    await keys.reload();
  } catch (error) {
    throw new Error(`failed to fetch JWKS from ${jwksURL}: ${(error as Error).message}`);
  }
  return bearerLink({ ...settings, jwksURL }, keys);
}

export const bearerMiddleware = middlewareRegistration({
  name: 'bearer',
  description: 'Verifies a JWT bearer token (signature from a JWKS, issuer, audience, expiry); 401 otherwise',
  metadata: [
    { name: 'issuer', aliases: ['issuerURL'], required: true, description: 'Issuer the token\'s `iss` must equal' },
    { name: 'audience', aliases: ['clientID'], required: true, description: 'Audience the token\'s `aud` must contain (usually a client ID)' },
    { name: 'jwksURL', description: 'URL of the JSON Web Key Set; when empty, the `jwks_uri` of `<issuer>/.well-known/openid-configuration`' },
  ],
  create: ({ metadata }) => createBearerLink(metadata),
});
