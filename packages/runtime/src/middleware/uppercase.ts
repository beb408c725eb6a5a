import { StringDecoder } from 'node:string_decoder';
import { Transform } from 'node:stream';
import { metadataValue } from '@outrigger/components-api';
import type { MiddlewareLink } from './http-exchange.js';
import { middlewareRegistration } from './http-middleware.js';

/**
 * Upper-cases text rune by rune as Go's unicode.ToUpper does: a character whose upper case is
 * more than one character (German ß) stays as it is.
 */
export function upperCaseRunes(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
  let result = '';
  for (const rune of text) {
    const upper = rune.toUpperCase();
    result += [...upper].length === 1 ? upper : rune;
  }
  return result;
}

/** A stream that upper-cases UTF-8 text as it passes, keeping characters split across chunks whole. */
export function upperCaseStream(): Transform {
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(upperCaseRunes(decoder.write(chunk)), 'utf8'));
    },
    flush(callback) {
      const rest = decoder.end();
      callback(null, rest === '' ? undefined : Buffer.from(upperCaseRunes(rest), 'utf8'));
    },
  });
}

export type UpperCaseDirection = 'request' | 'response' | 'both';

/** Upper-cases the request body, the response body or both (Dapr's demo middleware); nothing else is changed. */
export function upperCaseLink(direction: UpperCaseDirection = 'request'): MiddlewareLink {
  const request = direction !== 'response';
  const response = direction !== 'request';
  return async (exchange, next) => {
    if (request) exchange.transformRequestBody(upperCaseStream());
    if (response) exchange.transformResponseBody(upperCaseStream());
    await next(exchange);
  };
}

export const upperCaseMiddleware = middlewareRegistration({
  name: 'uppercase',
  description: 'Upper-cases the request body, the response body or both (a demo middleware)',
  metadata: [
    { name: 'direction', description: 'What to upper-case: `request`, `response` or `both`; any other value means `request`, as in daprd', default: 'request' },
  ],
  create: ({ metadata }) => {
    const direction = (metadataValue(metadata, 'direction') ?? '').toLowerCase();
    return upperCaseLink(direction === 'response' || direction === 'both' ? direction : 'request');
  },
});
