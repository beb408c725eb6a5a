import { InvalidStateRequestError, type QueryFilter, type StateQuery } from '@outrigger/components-api';

/** One SQL statement for a state query, plus what paging needs to read its answer. */
export interface CompiledQuery {
  readonly text: string;
  readonly values: unknown[];
  readonly offset: number;
  /** Page size asked for; the statement fetches one row more to know whether another page follows. */
  readonly limit: number | undefined;
}

/**
 * Translates Dapr's query language into one SELECT over the `jsonb` column, with the same meaning as
 * the in-process evaluator of the other stores: EQ/NEQ/IN compare JSON values (NEQ also matches a
 * missing field), GT/GTE/LT/LTE compare numbers with numbers and strings with strings (by code
 * point), binary values never match a filter, and results are ordered by the sort keys, then by key.
 * Only live (unexpired) rows whose key starts with `keyPrefix` take part. Every value is a parameter.
 * @throws InvalidStateRequestError for a malformed filter, sort or token.
 */
export function compileQuery(query: StateQuery, keyPrefix: string, table: string): CompiledQuery {
  const values: unknown[] = [keyPrefix];
  const param = (value: unknown, cast: string): string => {
    values.push(value);
    return `$${values.length}::${cast}`;
  };
  const conditions = ['starts_with(key, $1)', '(expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)'];
  if (query.filter !== undefined) conditions.push('NOT isbinary', translateFilter(query.filter, param));
  const order = (query.sort ?? []).map(({ key, order: direction }) => {
    if (direction !== undefined && direction !== 'ASC' && direction !== 'DESC' && (direction as string) !== '') {
      throw new InvalidStateRequestError(`invalid sort order ${String(direction)}: use ASC or DESC`);
    }
    return `${field(key, param)} ${direction === 'DESC' ? 'DESC' : 'ASC'} NULLS LAST`;
  });
  order.push('key COLLATE "C" ASC');
  const offset = parseToken(query.page?.token);
  const limit = query.page?.limit !== undefined && query.page.limit > 0 ? query.page.limit : undefined;
  let text = `SELECT key, value::text AS value, isbinary, xmin::text AS etag FROM ${table} WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')}`;
  if (limit !== undefined) text += ` LIMIT ${limit + 1}`;
  if (offset > 0) text += ` OFFSET ${offset}`;
  return { text, values, offset, limit };
}

type Param = (value: unknown, cast: string) => string;

function parseToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  if (!/^\d{1,15}$/.test(token)) throw new InvalidStateRequestError(`invalid pagination token ${token}`);
  return Number(token);
}

/**
 * The `jsonb` at a dotted path. As in the evaluator, a leading `value.` addresses the document itself
 * unless the document has a top-level `value` field.
 */
function field(path: string, param: Param): string {
  if (typeof path !== 'string' || path === '') throw new InvalidStateRequestError('a query key must be a non-empty string');
  const parts = path.split('.');
  if (parts[0] !== 'value' || parts.length === 1) return `(value #> ${param(parts, 'text[]')})`;
  return `(CASE WHEN jsonb_typeof(value) = 'object' AND value ? 'value' THEN value #> ${param(parts, 'text[]')} ELSE value #> ${param(parts.slice(1), 'text[]')} END)`;
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

const COMPARISONS: Readonly<Record<string, string>> = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

function translateFilter(filter: QueryFilter, param: Param): string {
  const entries = Object.entries(filter);
  if (entries.length !== 1) throw new InvalidStateRequestError('a filter must have exactly one operator');
  const [operator, operand] = entries[0] as [string, unknown];
  switch (operator) {
    case 'AND':
    case 'OR': {
      if (!Array.isArray(operand) || operand.length === 0) throw new InvalidStateRequestError(`${operator} expects a non-empty array`);
      return `(${(operand as QueryFilter[]).map((child) => translateFilter(child, param)).join(` ${operator} `)})`;
    }
    case 'IN': {
      const [key, list] = singleEntry(operator, operand);
      if (!Array.isArray(list)) throw new InvalidStateRequestError('IN expects an array of values');
      if (list.length === 0) return 'FALSE';
      return `(${field(key, param)} IN (${list.map((value) => param(JSON.stringify(value), 'jsonb')).join(', ')}))`;
    }
    case 'EQ':
    case 'NEQ': {
      const [key, expected] = singleEntry(operator, operand);
      const sql = `${field(key, param)} ${operator === 'EQ' ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM'} ${param(JSON.stringify(expected ?? null), 'jsonb')}`;
      return `(${sql})`;
    }
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      const [key, expected] = singleEntry(operator, operand);
      const target = field(key, param);
      const sign = COMPARISONS[operator] as string;
      if (typeof expected === 'number') {
        return `(jsonb_typeof(${target}) = 'number' AND (${target} #>> '{}')::numeric ${sign} ${param(String(expected), 'numeric')})`;
      }
      if (typeof expected === 'string') {
        return `(jsonb_typeof(${target}) = 'string' AND (${target} #>> '{}') COLLATE "C" ${sign} ${param(expected, 'text')})`;
      }
      return 'FALSE';
    }
    default:
      throw new InvalidStateRequestError(`unknown query operator ${operator}`);
  }
}
