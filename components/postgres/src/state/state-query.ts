import { InvalidStateRequestError, parsePageToken, parseQueryFilter, type FilterNode, type StateQuery } from '@outrigger/components-api';

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
  if (query.filter !== undefined) conditions.push('NOT isbinary', translateFilter(parseQueryFilter(query.filter), param));
  const order = (query.sort ?? []).map(({ key, order: direction }) => {
    if (direction !== undefined && direction !== 'ASC' && direction !== 'DESC' && (direction as string) !== '') {
      throw new InvalidStateRequestError(`invalid sort order ${String(direction)}: use ASC or DESC`);
    }
    return `${field(key, param)} ${direction === 'DESC' ? 'DESC' : 'ASC'} NULLS LAST`;
  });
  order.push('key COLLATE "C" ASC');
  const offset = parsePageToken(query.page?.token);
  const limit = query.page?.limit !== undefined && query.page.limit > 0 ? query.page.limit : undefined;
  let text = `SELECT key, value::text AS value, isbinary, xmin::text AS etag FROM ${table} WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')}`;
  if (limit !== undefined) text += ` LIMIT ${limit + 1}`;
  if (offset > 0) text += ` OFFSET ${offset}`;
  return { text, values, offset, limit };
}

type Param = (value: unknown, cast: string) => string;

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

const COMPARISONS: Readonly<Record<string, string>> = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

function translateFilter(filter: FilterNode, param: Param): string {
  switch (filter.kind) {
    case 'AND':
    case 'OR':
      return `(${filter.children.map((child) => translateFilter(child, param)).join(` ${filter.kind} `)})`;
    case 'IN':
      if (filter.values.length === 0) return 'FALSE';
      return `(${field(filter.key, param)} IN (${filter.values.map((value) => param(JSON.stringify(value), 'jsonb')).join(', ')}))`;
    case 'EQ':
    case 'NEQ':
      return `(${field(filter.key, param)} ${filter.kind === 'EQ' ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM'} ${param(JSON.stringify(filter.value ?? null), 'jsonb')})`;
    default: {
      const target = field(filter.key, param);
      const sign = COMPARISONS[filter.kind] as string;
      if (typeof filter.value === 'number') {
        return `(jsonb_typeof(${target}) = 'number' AND (${target} #>> '{}')::numeric ${sign} ${param(String(filter.value), 'numeric')})`;
      }
      if (typeof filter.value === 'string') {
        return `(jsonb_typeof(${target}) = 'string' AND (${target} #>> '{}') COLLATE "C" ${sign} ${param(filter.value, 'text')})`;
      }
      return 'FALSE';
    }
  }
}
