// A request target (`/v1.0/invoke/app/method/x?a=1`) cut at its first `?` with indexOf and slice. Every
// call into the sidecar takes its path several times (routing, metrics, tracing); String.prototype.split
// cost about 1,500 instructions a call there (bench/results/2026-11-23-hop-instructions.md), slice a few dozen.

/** The path of a request target, without its query string. */
export function pathOf(target: string): string {
  const queryAt = target.indexOf('?');
  return queryAt < 0 ? target : target.slice(0, queryAt);
}

/** The query string of a request target, without the `?`; empty when there is none. */
export function queryOf(target: string): string {
  const queryAt = target.indexOf('?');
  return queryAt < 0 ? '' : target.slice(queryAt + 1);
}

/**
 * The path and the query string of a request target from one search, for callers that need both (the
 * app channel takes them apart). `query` is undefined when the target has no `?`, and empty when it
 * ends in one.
 */
export function splitTarget(target: string): { path: string; query: string | undefined } {
  const queryAt = target.indexOf('?');
  return queryAt < 0 ? { path: target, query: undefined } : { path: target.slice(0, queryAt), query: target.slice(queryAt + 1) };
}
