// Dapr service invocation over gRPC (InvokeService): InvokeRequest in (data as google.protobuf.Any,
// HTTPExtension verb and querystring), InvokeResponse out; an HTTP app's error status becomes the gRPC
// status daprd derives from it.
import { STATUS_CODES } from 'node:http';
import type { HandlerContext } from '@connectrpc/connect';
import { daprError } from '@outrigger/kit';
import type { BufferedInvokeResponse, InvokeService } from '../../blocks/invoke/invoke-service.js';
import { sidecarOnlyHeaders } from '../../blocks/invoke/invoke-service.js';
import { sidecarErrorOf } from '../../internal/sidecar-error.js';
import { HTTPExtension_Verb } from './dapr-protos.js';
import type { DaprMethods } from './dapr-service.js';
import { connectErrorWithInfo, errorInfoDomain } from './grpc-errors.js';

/** daprd's content type for an Any whose type URL is set. */
const protobufContentType = 'application/x-protobuf';
/** ErrorInfo metadata values are limited to 64 characters; daprd keeps 63 bytes. */
const maxDetailBytes = 63;

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/** HTTP headers that a gRPC answer carries with a `dapr-` prefix, as daprd does (IANA's permanent request headers). */
const permanentHeaders = new Set(['accept', 'accept-charset', 'accept-language', 'accept-ranges', 'connection', 'keep-alive', 'proxy-connection',
  'transfer-encoding', 'upgrade', 'cache-control', 'content-type', 'content-length', 'cookie', 'date', 'expect', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-schedule-tag-match', 'if-unmodified-since', 'max-forwards', 'origin', 'pragma', 'referer', 'via', 'warning']);

/** gRPC status for an HTTP status, as daprd's CodeFromHTTPStatus maps it (2xx: OK). */
export function grpcCodeOfHttpStatus(status: number): number {
  if (status >= 200 && status < 300) return 0;
  const codes: Record<number, number> = { 408: 1, 500: 2, 400: 13, 504: 4, 404: 5, 409: 6, 403: 7, 401: 16, 429: 8, 501: 12, 503: 14 };
  return codes[status] ?? 2;
}

/**
 * The call's metadata as headers for the app, as daprd converts it: binary, content and hop-by-hop
 * headers left out, `grpc-*` renamed `dapr-grpc-*`, and the sidecar's own headers stopped here.
 */
function headersForApp(context: HandlerContext): Record<string, string> {
  const headers: Record<string, string> = {};
  context.requestHeader.forEach((value, name) => {
    if (name.endsWith('-bin') || name === 'content-type' || name === 'content-length' || hopByHop.has(name)) return;
    if ((sidecarOnlyHeaders as readonly string[]).includes(name)) return;
    headers[name.startsWith('grpc-') ? `dapr-${name}` : name] = value;
  });
  return headers;
}

/** The app's answer headers as gRPC response metadata: valid names only, permanent HTTP headers prefixed. */
function setAnswerHeaders(target: Headers, answer: BufferedInvokeResponse): void {
  for (const [rawName, value] of Object.entries(answer.headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || hopByHop.has(name) || name.endsWith('-bin') || !/^[0-9a-z_.-]+$/.test(name)) continue;
    const key = permanentHeaders.has(name) ? `dapr-${name}` : name;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (/^[\x20-\x7e]*$/.test(item)) target.append(key, item);
    }
  }
  target.set('dapr-http-status', String(answer.status));
}

/** A method name as a URL path: characters a path cannot hold are percent-encoded, existing escapes kept. */
function escapePath(method: string): string {
  return method.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (character) => encodeURIComponent(character));
}

/** InvokeService over the same {@link InvokeService} as the HTTP invocation API. */
export function invokeMethods(invoke: InvokeService): DaprMethods {
  return {
    async invokeService(request, context) {
      const message = request.message;
      const extension = message?.httpExtension;
      // An HTTP app needs a verb; daprd refuses a call without one (Go cannot send CONNECT either).
      if (!extension) throw daprError('directInvoke', request.id, 'rpc error: code = InvalidArgument desc = missing HTTP extension field');
      if (extension.verb === HTTPExtension_Verb.NONE || extension.verb === HTTPExtension_Verb.CONNECT) {
        throw daprError('directInvoke', request.id, 'rpc error: code = InvalidArgument desc = invalid HTTP verb');
      }
      const data = message.data;
      const contentType = data?.typeUrl ? protobufContentType : message.contentType;
      const headers = headersForApp(context);
      if (contentType) headers['content-type'] = contentType;
      const method = escapePath(message.method.startsWith('/') ? message.method : `/${message.method}`);
      const answer = await invoke.call(request.id, {
        verb: HTTPExtension_Verb[extension.verb], path: method, query: extension.querystring || undefined, headers, body: data?.value ?? new Uint8Array(),
      });
      // The called app's sidecar failed the call itself (the app unreachable, the call refused): its error, as daprd raises it.
      const sidecarFailure = answer.sidecarError === undefined ? undefined : sidecarErrorOf(answer.sidecarError, answer.status, answer.body);
      if (sidecarFailure) throw sidecarFailure;
      setAnswerHeaders(context.responseHeader, answer);
      const code = grpcCodeOfHttpStatus(answer.status);
      if (code !== 0) {
        const text = STATUS_CODES[answer.status] ?? '';
        throw connectErrorWithInfo(text, code, {
          reason: text, domain: errorInfoDomain,
          metadata: { 'http.code': String(answer.status), 'http.error_message': answer.body.subarray(0, maxDetailBytes).toString('utf8') },
        });
      }
      const answerType = answer.headers['content-type'];
      return { data: { typeUrl: '', value: answer.body }, contentType: Array.isArray(answerType) ? answerType[0] ?? '' : answerType ?? '' };
    },
  };
}
