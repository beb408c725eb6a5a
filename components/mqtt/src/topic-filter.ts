/*
 * MQTT topic filters, to route a received message to the subscription that asked for it: `+` matches
 * one level, `#` (last) any number of levels including none, and a shared subscription
 * `$share/<group>/<filter>` matches as its filter. Topics starting with `$` are only matched by
 * filters that name that first level, as the MQTT specification says.
 */

const SHARED = /^\$share\/[^/#+]+\/(.+)$/;

/** The filter a subscription matches on: `$share/<group>/` removed. */
export function effectiveFilter(filter: string): string {
  return SHARED.exec(filter)?.[1] ?? filter;
}

/** True when `filter` has `+` or `#` wildcards (after removing a `$share` prefix). */
export function hasWildcards(filter: string): boolean {
  return effectiveFilter(filter).split('/').some((level) => level === '+' || level === '#');
}

/** Whether a published `topic` matches a subscription `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  const wanted = effectiveFilter(filter).split('/');
  const levels = topic.split('/');
  if (topic.startsWith('$') && (wanted[0] === '+' || wanted[0] === '#')) return false;
  for (let index = 0; index < wanted.length; index++) {
    const level = wanted[index];
    if (level === '#') return index === wanted.length - 1;
    if (index >= levels.length) return false;
    if (level !== '+' && level !== levels[index]) return false;
  }
  return levels.length === wanted.length;
}

/**
 * Subscriptions keyed by their filter; `find` returns the one for a topic: an exact filter first,
 * then the first matching wildcard or shared filter.
 */
export class TopicRoutes<T> {
  private readonly byFilter = new Map<string, T>();

  set(filter: string, value: T): void {
    this.byFilter.set(filter, value);
  }

  get(filter: string): T | undefined {
    return this.byFilter.get(filter);
  }

  delete(filter: string): void {
    this.byFilter.delete(filter);
  }

  has(filter: string): boolean {
    return this.byFilter.has(filter);
  }

  values(): T[] {
    return [...this.byFilter.values()];
  }

  find(topic: string): T | undefined {
    const exact = this.byFilter.get(topic);
    if (exact !== undefined) return exact;
    for (const [filter, value] of this.byFilter) if (topicMatches(filter, topic)) return value;
    return undefined;
  }
}
