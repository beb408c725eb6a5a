import { InvalidStateRequestError, type QueryFilter, type QueryResultItem, type StateQuery } from './state.js';

/** One candidate row for an in-process query: the stored key, the raw bytes and the ETag. */
export type QueryCandidate = QueryResultItem;

/**
 * Runs Dapr's state query over rows already loaded in memory: filter, sort, then page.
 * Values that are not JSON never match a filter. The page token is the offset of the next page,
 * as a decimal string, which is what Dapr's own in-process stores do.
 * @throws InvalidStateRequestError for an unknown operator or a malformed token.
 */
export function evaluateQuery(rows: Iterable<QueryCandidate>, query: StateQuery): { results: QueryResultItem[]; token?: string } {
  const parsed: { row: QueryCandidate; doc: unknown }[] = [];
  for (const row of rows) parsed.push({ row, doc: parseJson(row.value) });
  let matched = query.filter ? parsed.filter(({ doc }) => doc !== undefined && matches(query.filter as QueryFilter, doc)) : parsed;
  if (query.sort && query.sort.length > 0) matched = sortRows(matched, query.sort);
  else matched.sort((a, b) => (a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0));
  const offset = parseToken(query.page?.token);
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

function parseToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  if (!/^\d+$/.test(token)) throw new InvalidStateRequestError(`invalid pagination token ${token}`);
  return Number(token);
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

function singleEntry(operator: string, operand: unknown): [string, unknown] {
  if (!isRecord(operand)) throw new InvalidStateRequestError(`${operator} expects an object`);
  const entries = Object.entries(operand);
  if (entries.length !== 1) throw new InvalidStateRequestError(`${operator} expects exactly one key`);
  return entries[0] as [string, unknown];
}

function matches(filter: QueryFilter, doc: unknown): boolean {
  const entries = Object.entries(filter);
  if (entries.length !== 1) throw new InvalidStateRequestError('a filter must have exactly one operator');
  const [operator, operand] = entries[0] as [string, unknown];
  switch (operator) {
    case 'AND':
    case 'OR': {
      if (!Array.isArray(operand) || operand.length === 0) throw new InvalidStateRequestError(`${operator} expects a non-empty array`);
      const children = operand as QueryFilter[];
      return operator === 'AND' ? children.every((child) => matches(child, doc)) : children.some((child) => matches(child, doc));
    }
    case 'IN': {
      const [key, values] = singleEntry(operator, operand);
      if (!Array.isArray(values)) throw new InvalidStateRequestError('IN expects an array of values');
      const actual = lookup(doc, key);
      return values.some((value) => equal(actual, value));
    }
    case 'EQ':
    case 'NEQ':
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      const [key, expected] = singleEntry(operator, operand);
      const actual = lookup(doc, key);
      if (operator === 'EQ') return equal(actual, expected);
      if (operator === 'NEQ') return !equal(actual, expected);
      const order = compare(actual, expected);
      if (order === undefined) return false;
      return operator === 'GT' ? order > 0 : operator === 'GTE' ? order >= 0 : operator === 'LT' ? order < 0 : order <= 0;
    }
    default:
      throw new InvalidStateRequestError(`unknown query operator ${operator}`);
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
