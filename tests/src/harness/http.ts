import { request as httpRequest } from 'node:http';

/** Small helpers over fetch for wire-level assertions. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json(): unknown;
}

export async function call(method: string, url: string, body?: string | Uint8Array | object, headers: Record<string, string> = {}): Promise<WireResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const response = await fetch(url, { method, body: payload as BodyInit | undefined, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** Asserts-friendly view of a Dapr error body. */
export function errorOf(response: WireResponse): { errorCode: string; message: string } {
  return response.json() as { errorCode: string; message: string };
}

/**
 * POSTs `body` as curl does a large upload: with `Expect: 100-continue`, sending the body only once the
 * server has answered 100. Resolves with the final status and body.
 */
export function postExpectingContinue(port: number, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest({
      host: '127.0.0.1', port, method: 'POST', path, agent: false,
      headers: { ...headers, expect: '100-continue', 'content-length': String(body.length) },
    }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.once('end', () => resolve({ status: answer.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    sent.once('continue', () => sent.end(body));
    sent.once('error', reject);
  });
}
