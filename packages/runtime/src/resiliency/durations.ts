import { parseDuration } from '@outrigger/kit';

/** A Go duration from a Resiliency field in milliseconds, or `fallback` when the field is absent. @throws Error */
export function durationField(value: string | undefined, fallbackMs: number): number {
  return value === undefined || value === '' ? fallbackMs : parseDuration(value);
}
