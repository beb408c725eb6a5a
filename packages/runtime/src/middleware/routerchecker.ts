import { metadataValue } from '@outrigger/components-api';
import type { MiddlewareLink } from './http-exchange.js';
import { middlewareRegistration } from './http-middleware.js';

/**
 * Refuses requests whose target (path and query string, as sent) does not match `rule`, with daprd's
 * 400 `invalid router` in plain text. Like Go's MatchString the rule is not anchored: write `^...$`.
 */
export function routerCheckerLink(rule: RegExp): MiddlewareLink {
  return async (exchange, next) => {
    if (!rule.test(exchange.url)) {
      exchange.respond({ status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'invalid router' });
      return;
    }
    await next(exchange);
  };
}

/** Compiles `rule`; a rule that is not a valid regular expression fails the component's init. */
export function compileRule(metadata: Readonly<Record<string, string>>): RegExp {
  const rule = metadataValue(metadata, 'rule') ?? '';
  try {
    return new RegExp(rule);
  } catch (error) {
    throw new Error(`failed to compile rule regexp: ${(error as Error).message}`);
  }
}

export const routerCheckerMiddleware = middlewareRegistration({
  name: 'routerchecker',
  description: 'Refuses with 400 "invalid router" requests whose path and query do not match a regular expression',
  metadata: [
    { name: 'rule', required: true, description: 'Regular expression the request path (with its query string) must match, e.g. ^[A-Za-z0-9/._-]+$' },
  ],
  create: ({ metadata }) => routerCheckerLink(compileRule(metadata)),
});
