import { parsePageToken, parseQueryFilter, type FilterNode } from './query-ast.js';
import type { QueryResultItem, StateQuery } from './state.js';

/** One candidate row for an in-process query: the stored key, the raw bytes and the ETag. */
export type QueryCandidate = QueryResultItem;

/**
 * Runs Dapr's state query over rows already loaded in memory: filter, sort, then page.
 * Values that are not JSON never match a filter. The page token is the offset of the next page,
 * as a decimal string, which is what Dapr's own in-process stores do.
 * @throws InvalidStateRequestError for an unknown operator or a malformed token (see parseQueryFilter).
 */
export function evaluateQuery(rows: Iterable<QueryCandidate>, query: StateQuery): { results: QueryResultItem[]; token?: string } {
  const parsed: { row: QueryCandidate; doc: unknown }[] = [];
  for (const row of rows) parsed.push({ row, doc: parseJson(row.value) });
  const filter = query.filter ? parseQueryFilter(query.filter) : undefined;
  let matched = filter ? parsed.filter(({ doc }) => doc !== undefined && matches(filter, doc)) : parsed;
  if (query.sort && query.sort.length > 0) matched = sortRows(matched, query.sort);
  else matched.sort((a, b) => (a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0));
  const offset = parsePageToken(query.page?.token);
  const limit = query.page?.limit && query.page.limit > 0 ? query.page.limit : undefined;
  const page = matched.slice(offset, limit === undefined ? undefined : offset + limit);
  const next = offset + page.length;
  const results = page.map(({ row }) => ({ key: row.key, value: row.value, etag: row.etag }));
  return limit !== undefined && next < matched.length ? { results, token: String(next) } : { results };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Dapr's query keys may start with `value.`; both `value.person.org` and `person.org` address the same field. */
function lookup(doc: unknown, path: string): unknown {
  const parts = path.split('.');
  if (parts[0] === 'value' && !(isRecord(doc) && 'value' in doc)) parts.shift();
  let current: unknown = doc;
  for (const part of parts) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(filter: FilterNode, doc: unknown): boolean {
  switch (filter.kind) {
    case 'AND': return filter.children.every((child) => matches(child, doc));
    case 'OR': return filter.children.some((child) => matches(child, doc));
    case 'IN': {
      const actual = lookup(doc, filter.key);
      return filter.values.some((value) => equal(actual, value));
    }
    case 'EQ': return equal(lookup(doc, filter.key), filter.value);
    case 'NEQ': return !equal(lookup(doc, filter.key), filter.value);
    default: {
      const order = compare(lookup(doc, filter.key), filter.value);
      if (order === undefined) return false;
      return filter.kind === 'GT' ? order > 0 : filter.kind === 'GTE' ? order >= 0 : filter.kind === 'LT' ? order < 0 : order <= 0;
    }
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function sortRows<T extends { doc: unknown }>(rows: T[], sort: NonNullable<StateQuery['sort']>): T[] {
  return [...rows].sort((left, right) => {
    for (const { key, order } of sort) {
      const result = compare(lookup(left.doc, key), lookup(right.doc, key)) ?? 0;
      if (result !== 0) return order === 'DESC' ? -result : result;
    }
    return 0;
  });
}
