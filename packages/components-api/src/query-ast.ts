import { InvalidStateRequestError, type QueryFilter } from './state.js';

/** A state query filter checked and parsed once, for the in-process evaluator and the SQL compilers alike. */
export type FilterNode =
  | { readonly kind: 'AND' | 'OR'; readonly children: readonly FilterNode[] }
  | { readonly kind: 'IN'; readonly key: string; readonly values: readonly unknown[] }
  | { readonly kind: ComparisonOperator; readonly key: string; readonly value: unknown };

export type ComparisonOperator = 'EQ' | 'NEQ' | 'GT' | 'GTE' | 'LT' | 'LTE';

const comparisonOperators: ReadonlySet<string> = new Set<ComparisonOperator>(['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE']);

/**
 * Parses Dapr's query filter (`{"AND": [...]}`, `{"EQ": {"key": value}}`, ...).
 * @throws InvalidStateRequestError for an unknown operator or a malformed operand
 */
export function parseQueryFilter(filter: QueryFilter): FilterNode {
  const entries = Object.entries(filter);
  if (entries.length !== 1) throw new InvalidStateRequestError('a filter must have exactly one operator');
  const [operator, operand] = entries[0] as [string, unknown];
  if (operator === 'AND' || operator === 'OR') {
    if (!Array.isArray(operand) || operand.length === 0) throw new InvalidStateRequestError(`${operator} expects a non-empty array`);
    return { kind: operator, children: (operand as QueryFilter[]).map(parseQueryFilter) };
  }
  if (operator === 'IN') {
    const [key, values] = singleEntry(operator, operand);
    if (!Array.isArray(values)) throw new InvalidStateRequestError('IN expects an array of values');
    return { kind: 'IN', key, values };
  }
  if (comparisonOperators.has(operator)) {
    const [key, value] = singleEntry(operator, operand);
    return { kind: operator as ComparisonOperator, key, value };
  }
  throw new InvalidStateRequestError(`unknown query operator ${operator}`);
}

/** The offset a page token stands for: Dapr's own stores use the decimal offset of the next page. */
export function parsePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  if (!/^\d{1,15}$/.test(token)) throw new InvalidStateRequestError(`invalid pagination token ${token}`);
  return Number(token);
}

function singleEntry(operator: string, operand: unknown): [string, unknown] {
  if (typeof operand !== 'object' || operand === null || Array.isArray(operand)) throw new InvalidStateRequestError(`${operator} expects an object`);
  const entries = Object.entries(operand);
  if (entries.length !== 1) throw new InvalidStateRequestError(`${operator} expects exactly one key`);
  const [key, value] = entries[0] as [string, unknown];
  if (key === '') throw new InvalidStateRequestError('a query key must be a non-empty string');
  return [key, value];
}
