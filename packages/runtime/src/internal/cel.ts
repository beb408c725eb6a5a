import type { parse as celParse } from '@marcbachmann/cel-js';

/** A compiled CEL expression: evaluates it over the given variables. */
export type CelProgram = ReturnType<typeof celParse>;

let parse: typeof celParse | undefined;

/**
 * Loads the CEL library. It costs ~50 ms of start-up and only circuit breakers and subscription
 * rules use it, so it is imported when resources or an app's subscriptions need it, not up front.
 */
export async function loadCel(): Promise<void> {
  parse ??= (await import('@marcbachmann/cel-js')).parse;
}

/** Compiles a CEL expression. @throws Error when it is not valid CEL, or when loadCel() has not been awaited (a bug) */
export function compileCel(expression: string): CelProgram {
  if (!parse) throw new Error('CEL is not loaded: await loadCel() before compiling an expression');
  return parse(expression);
}
