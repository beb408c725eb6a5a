/**
 * A set of status codes written as Dapr's retry `matching` fields spell it: a comma-separated list of
 * codes and inclusive ranges, e.g. "429,500-599" for HTTP or "1-4,8-11" for gRPC.
 */
export interface StatusCodeSet {
  has(code: number): boolean;
}

/** Valid codes per protocol, as Dapr checks them when it loads a policy. */
export const statusCodeBounds = { http: { min: 100, max: 599 }, grpc: { min: 0, max: 16 } } as const;

/**
 * Parses a `matching.httpStatusCodes` or `matching.gRPCStatusCodes` value.
 * @throws Error naming the part that is not a code or a range within the protocol's bounds
 */
export function parseStatusCodes(text: string, bounds: { readonly min: number; readonly max: number }): StatusCodeSet {
  const ranges: [number, number][] = [];
  for (const rawPart of text.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a status code or a range such as 500-599`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > to) throw new Error(`range "${part}" ends before it starts`);
    if (from < bounds.min || to > bounds.max) throw new Error(`"${part}" is outside ${bounds.min}-${bounds.max}`);
    ranges.push([from, to]);
  }
  return { has: (code) => ranges.some(([from, to]) => code >= from && code <= to) };
}
