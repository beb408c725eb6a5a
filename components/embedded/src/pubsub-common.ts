import { MetadataError, metadataValue } from '@outrigger/components-api';

/*
 * Rules shared by the embedded pub/sub components, so `pubsub.in-memory` and `pubsub.sqlite` agree
 * on TTLs, redelivery back-off and the consumer group.
 */

/** First redelivery delay after a handler rejected a message; doubles per attempt up to the maximum. */
export const REDELIVERY_MIN_MS = 100;
export const REDELIVERY_MAX_MS = 2000;

/** Handlers one subscription runs at once, unless the component's `concurrency` says otherwise. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * How long to wait before delivering a rejected message again: 100 ms, 200 ms, 400 ms ... 2 s.
 * Short, because the runtime already applied its resiliency policy before rejecting; growing, so a
 * handler that keeps failing does not spin.
 * @param attempts deliveries made so far (1 after the first rejection).
 */
export function redeliveryDelayMs(attempts: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 10));
  return Math.min(REDELIVERY_MAX_MS, REDELIVERY_MIN_MS * 2 ** exponent);
}

/**
 * Reads `ttlInSeconds` from publish metadata, as Dapr's MESSAGE_TTL components do.
 * @returns the expiry as epoch milliseconds, or undefined for no TTL (absent, empty, 0 or negative).
 * @throws Error when the value is not an integer: a publish with a TTL it cannot honour fails rather
 *   than storing a message that would never expire.
 */
export function messageExpiry(metadata: Readonly<Record<string, string>> | undefined, now = Date.now()): number | undefined {
  const raw = metadata ? metadataValue(metadata, 'ttlInSeconds') : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`ttlInSeconds value must be a valid integer: actual is '${raw}'`);
  const seconds = Number(raw);
  return seconds > 0 ? now + seconds * 1000 : undefined;
}

/**
 * The consumer group of a component: its `consumerID` metadata, else the app id (the runtime
 * normally fills `consumerID` with the app id already; this covers components created directly).
 */
export function consumerGroup(metadata: Readonly<Record<string, string>>, appId: string): string {
  const configured = metadataValue(metadata, 'consumerID')?.trim();
  if (configured) return configured;
  if (appId === '') throw new Error('pub/sub component needs a consumerID or an app id');
  return appId;
}

/** Reads a positive integer metadata field, or its default. @throws MetadataError naming the field. */
export function positiveInteger(metadata: Readonly<Record<string, string>>, name: string, fallback: number, ...aliases: string[]): number {
  const raw = metadataValue(metadata, name, ...aliases)?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new MetadataError(name, `"${raw}" is not a positive integer`);
  return Number(raw);
}

/** Rejects a topic the components cannot key messages by. */
export function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || topic === '') throw new Error('topic is required');
}

/** A frozen copy of string metadata, or undefined when there is none. */
export function copyMetadata(metadata: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (!metadata || Object.keys(metadata).length === 0) return undefined;
  return Object.freeze({ ...metadata });
}
