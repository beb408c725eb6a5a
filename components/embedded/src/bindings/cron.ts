import {
  metadataValue, type BindingEventHandler, type BindingReader, type ComponentContext, type InputBinding, type MetadataField,
} from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import { parseCronSchedule, type CronSchedule } from './cron-schedule.js';

/** `bindings.cron` metadata, as Dapr documents it. `direction` and `route` are read by the runtime. */
export const cronMetadata: readonly MetadataField[] = [
  { name: 'schedule', required: true, description: 'Cron schedule: five or six fields (seconds optional), `@every 15s`, `@hourly`, `@daily`, ...; `CRON_TZ=<zone>` prefix allowed' },
  { name: 'direction', description: 'Direction of the binding; `input` skips the app subscription probe' },
  { name: 'route', description: 'App path events are posted to (default: the component name)' },
];

/** setTimeout's largest delay; longer waits are done in several steps. */
const maxTimerMs = 2 ** 31 - 1;

/**
 * Input binding that fires on a schedule (`bindings.cron`). Each tick is one event with no data and
 * Dapr's metadata (`timeZone`, `readTimeUTC`). A tick the app refuses is logged and not retried:
 * the next tick comes on schedule, as in Dapr. Ticks do not wait for each other.
 */
export class CronBinding implements InputBinding {
  private schedule: CronSchedule | undefined;
  private logger: Logger | undefined;
  private name = '';
  private readonly readers = new Set<CronReader>();

  async init(context: ComponentContext): Promise<void> {
    const schedule = metadataValue(context.metadata, 'schedule');
    if (!schedule) throw new Error('schedule not set');
    this.schedule = parseCronSchedule(schedule);
    this.logger = context.logger;
    this.name = context.name;
  }

  async read(handler: BindingEventHandler): Promise<BindingReader> {
    if (!this.schedule || !this.logger) throw new Error('binding is not initialised');
    const reader = new CronReader(this.schedule, handler, this.logger, this.name);
    this.readers.add(reader);
    reader.start();
    return {
      close: async () => {
        reader.stop();
        this.readers.delete(reader);
      },
    };
  }

  async close(): Promise<void> {
    for (const reader of this.readers) reader.stop();
    this.readers.clear();
  }
}

class CronReader {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly schedule: CronSchedule, private readonly handler: BindingEventHandler,
    private readonly logger: Logger, private readonly name: string) {}

  start(): void {
    this.armAfter(new Date());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private armAfter(instant: Date): void {
    const target = this.schedule.next(instant);
    if (target) this.armFor(target);
  }

  private armFor(target: Date): void {
    if (this.stopped) return;
    const wait = Math.min(maxTimerMs, Math.max(1, target.getTime() - Date.now()));
    this.timer = setTimeout(() => this.onTimer(target), wait);
    // A schedule must never keep the process alive on its own.
    this.timer.unref();
  }

  private onTimer(target: Date): void {
    if (this.stopped) return;
    // Timers can wake early, and long waits are split: only fire once the target has passed.
    if (Date.now() < target.getTime()) {
      this.armFor(target);
      return;
    }
    this.fire();
    // Counting from now, not from the target, skips the ticks missed while the process was paused, as robfig/cron does.
    this.armAfter(new Date(Math.max(Date.now(), target.getTime())));
  }

  private fire(): void {
    const metadata = { timeZone: 'Local', readTimeUTC: goUtcString(new Date()) };
    this.logger.debug(`name: ${this.name}, schedule fired`);
    this.handler({ data: new Uint8Array(0), metadata }).catch((error: unknown) => {
      this.logger.warn(`cron binding ${this.name}: the app did not take the tick (not retried; the next one comes on schedule): ${errorMessage(error)}`);
    });
  }
}

/** A time as Go's `time.Time.String()` prints a UTC time, which is what Dapr's `readTimeUTC` carries. */
export function goUtcString(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}
