import { Cron } from 'croner';
import { parseDuration } from '@outrigger/kit';

/** A parsed schedule: when to fire next, strictly after a given instant. */
export interface CronSchedule {
  /** The next firing time strictly after `after`; undefined when the schedule never fires again. */
  next(after: Date): Date | undefined;
}

/** Raised for a schedule Dapr's cron parser would refuse. */
export class CronScheduleError extends Error {
  constructor(schedule: string, detail: string) {
    super(`invalid schedule format '${schedule}': ${detail}`);
    this.name = 'CronScheduleError';
  }
}

// Dapr's cron binding uses robfig/cron descriptors; these are their meanings as six-field patterns.
const descriptors: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/**
 * Parses a schedule the way Dapr's cron binding does: five or six fields (seconds optional),
 * a `CRON_TZ=<zone>` or `TZ=<zone>` prefix, `@every <Go duration>`, and the `@hourly`-style descriptors.
 * @throws CronScheduleError
 */
export function parseCronSchedule(schedule: string): CronSchedule {
  let text = schedule.trim();
  let timezone: string | undefined;
  const zone = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (zone) {
    timezone = zone[1] as string;
    text = text.slice(zone[0].length).trim();
    if (!isTimeZone(timezone)) throw new CronScheduleError(schedule, `unknown time zone ${timezone}`);
  }
  if (text === '') throw new CronScheduleError(schedule, 'empty spec string');
  if (text.startsWith('@every')) return everySchedule(schedule, text.slice('@every'.length).trim());
  const pattern = text.startsWith('@') ? descriptors[text.toLowerCase()] : text;
  if (pattern === undefined) throw new CronScheduleError(schedule, `unrecognized descriptor: ${text}`);
  let cron: Cron;
  try {
    // Day of month and day of week combine with OR when both are set, as in robfig/cron.
    cron = new Cron(pattern, { paused: true, mode: '5-or-6-parts', legacyMode: true, ...(timezone ? { timezone } : {}) });
  } catch (error) {
    throw new CronScheduleError(schedule, error instanceof Error ? error.message : String(error));
  }
  return { next: (after) => cron.nextRun(after) ?? undefined };
}

/**
 * `@every 15s`: fixed intervals, whole seconds (at least one) on whole-second instants, as robfig/cron
 * rounds them.
 */
function everySchedule(schedule: string, duration: string): CronSchedule {
  let intervalMs: number;
  try {
    intervalMs = parseDuration(duration);
  } catch {
    throw new CronScheduleError(schedule, `failed to parse duration @every ${duration}`);
  }
  if (/^\d+(\.\d+)?$/.test(duration) || intervalMs <= 0) throw new CronScheduleError(schedule, `failed to parse duration @every ${duration}`);
  const stepMs = Math.max(1000, Math.floor(intervalMs / 1000) * 1000);
  return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + stepMs) };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
