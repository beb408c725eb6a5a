import type { HttpMetricsSettings } from './metrics-config.js';

/** Paths daprd always reports as they are: the app's Dapr endpoints and health, which carry no identifiers. */
const staticPaths = new Set(['/dapr/config', '/dapr/metrics', '/dapr/subscribe', '/healthz']);

const knownVerbs = new Set(['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** The label of invocations with pathMatching: daprd registers every template under the invocation prefix too. */
const invocationPrefix = '/v1.0/invoke/{app_id}/method';

/**
 * The `path` and `method` labels of HTTP metrics, bounded as daprd bounds them:
 * - default (`increasedCardinality: false`, no `pathMatching`): the path label is empty, so app paths,
 *   keys and ids never become label values;
 * - `pathMatching`: a path matching a template is labelled with the template, any other path with an
 *   empty label (or, with `increasedCardinality`, the reduced path);
 * - `increasedCardinality: true`: the path with state keys, secret names and actor ids cut off.
 * `/healthz` and the app's `/dapr/*` endpoints keep their path in every mode.
 */
export class HttpPathLabels {
  private readonly templates: PathTemplate[];

  constructor(private readonly settings: HttpMetricsSettings) {
    const patterns = new Set<string>();
    for (const raw of settings.pathMatching) {
      const pattern = normalizePath(raw);
      patterns.add(pattern);
      if (!pattern.startsWith('/v1.0/invoke/')) patterns.add(invocationPrefix + pattern);
    }
    this.templates = [...patterns].map(compileTemplate);
  }

  /** The label for a request path (without the query string). */
  path(rawPath: string): string {
    if (rawPath === '') return '';
    // The default mode, on every request: only the static paths keep a label, and most paths need no
    // normalising (a regex replace per call showed in the profile).
    if (this.templates.length === 0 && !this.settings.increasedCardinality && rawPath.startsWith('/') && !rawPath.includes('//')) {
      return staticPaths.has(rawPath) ? rawPath : '';
    }
    const path = normalizePath(rawPath);
    if (staticPaths.has(path)) return path;
    const legacy = this.settings.increasedCardinality;
    if (this.templates.length > 0) {
      const matched = this.match(path);
      if (matched !== undefined) return matched;
      const reduced = reducePath(path);
      if (reduced !== path) {
        const matchedReduced = this.match(reduced);
        if (matchedReduced !== undefined && matchedReduced !== '/') return matchedReduced;
      }
    }
    return legacy ? reducePath(path) : '';
  }

  /** The label for an HTTP verb: empty with `excludeVerbs`, `UNKNOWN` for a verb HTTP does not define. */
  method(verb: string): string {
    if (this.settings.excludeVerbs) return '';
    return knownVerbs.has(verb) ? verb : 'UNKNOWN';
  }

  /** The most specific template matching the path, as Go's ServeMux picks it. */
  private match(path: string): string | undefined {
    const segments = path.split('/').slice(1);
    let best: PathTemplate | undefined;
    for (const template of this.templates) {
      if (template.matches(segments) && (!best || template.specificity > best.specificity)) best = template;
    }
    return best?.pattern;
  }
}

interface PathTemplate {
  readonly pattern: string;
  /** Higher for templates that match fewer paths: literal segments count most, then length; exact beats prefix. */
  readonly specificity: number;
  matches(segments: readonly string[]): boolean;
}

/**
 * Compiles a template in Go ServeMux syntax: literal segments, `{name}` for one segment, `{name...}`
 * for the rest of the path, a trailing `/` for a subtree and `{$}` for the exact path ending in `/`.
 */
function compileTemplate(pattern: string): PathTemplate {
  const parts = pattern.split('/').slice(1);
  const last = parts.at(-1);
  const subtree = last === '' || (last !== undefined && /^\{[^}]*\.\.\.\}$/.test(last));
  const exactSlash = last === '{$}';
  const fixed = subtree || exactSlash ? parts.slice(0, -1) : parts;
  const literals = fixed.filter((part) => !/^\{.*\}$/.test(part)).length;
  return {
    pattern,
    specificity: literals * 1000 + fixed.length * 10 + (subtree ? 0 : 1),
    matches(segments) {
      if (exactSlash) {
        if (segments.length !== fixed.length + 1 || segments.at(-1) !== '') return false;
      } else if (subtree) {
        if (segments.length < fixed.length + (last === '' ? 1 : 0)) return false;
      } else if (segments.length !== fixed.length) {
        return false;
      }
      return fixed.every((part, index) => {
        const segment = segments[index] ?? '';
        return /^\{.*\}$/.test(part) ? segment !== '' : segment === part;
      });
    },
  };
}

function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.startsWith('/') ? collapsed : `/${collapsed}`;
}

/**
 * daprd's reduction of a path for increased-cardinality labels: state keys and secret names dropped
 * (`/v1.0/state/store`), actor ids replaced with `{id}`; other paths unchanged.
 */
export function reducePath(path: string): string {
  const parts = normalizePath(path).slice(1).split('/');
  if (parts.length < 3) return normalizePath(path);
  if (parts[0] === 'actors') return '/' + [parts[0], parts[1], '{id}', ...parts.slice(3)].join('/');
  switch (parts[1]) {
    case 'state':
    case 'secrets':
      return '/' + parts.slice(0, 3).join('/');
    case 'actors':
      if (parts.length < 5) return normalizePath(path);
      return '/' + [parts[0], parts[1], parts[2], '{id}', parts[4]].join('/');
    default:
      return normalizePath(path);
  }
}
