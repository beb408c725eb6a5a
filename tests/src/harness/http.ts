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
