/**
 * One link of a chain: does its part around `next` (before, after, several times, or not at all).
 * Resiliency policies (timeout, retry, circuit breaker) and HTTP middleware pipelines are both built
 * as chains of links with `compose`, so their order and short-circuit rules are the same everywhere.
 */
export type ChainLink<Context, Result> = (context: Context, next: (context: Context) => Promise<Result>) => Promise<Result>;

/**
 * Composes links around a last step: the first link is outermost. A link that never calls `next`
 * ends the chain with its own result; one that calls it again (a retry) runs the rest of the chain again.
 */
export function compose<Context, Result>(
  links: readonly ChainLink<Context, Result>[],
  last: (context: Context) => Promise<Result>,
): (context: Context) => Promise<Result> {
  return links.reduceRight<(context: Context) => Promise<Result>>((next, link) => (context) => link(context, next), last);
}
