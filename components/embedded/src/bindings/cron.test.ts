import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { BindingEvent } from '@outrigger/components-api';
import { testContext } from '../testing/context.js';
import { CronBinding, goUtcString } from './cron.js';
import { parseCronSchedule } from './cron-schedule.js';

const at = (iso: string) => new Date(iso);
const nextOf = (schedule: string, after: string) => parseCronSchedule(schedule).next(at(after))?.toISOString();

describe('cron schedules (as Dapr parses them)', () => {
  it('reads six fields with seconds and five fields without', () => {
    assert.equal(nextOf('*/10 * * * * *', '2024-01-01T00:00:05Z'), '2024-01-01T00:00:10.000Z');
    assert.equal(nextOf('30 * * * * *', '2024-01-01T00:00:30Z'), '2024-01-01T00:01:30.000Z');
    assert.equal(nextOf('0 */15 * * * *', '2024-01-01T00:01:00Z'), '2024-01-01T00:15:00.000Z');
    assert.equal(nextOf('*/5 * * * *', '2024-01-01T00:01:00Z'), '2024-01-01T00:05:00.000Z');
  });

  it('reads the descriptors, @every and a CRON_TZ or TZ prefix', () => {
    assert.equal(nextOf('@hourly', '2024-01-01T00:10:00Z'), '2024-01-01T01:00:00.000Z');
    assert.equal(nextOf('@daily', '2024-01-01T00:10:00Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(nextOf('@midnight', '2024-01-01T00:10:00Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(nextOf('@weekly', '2024-01-01T00:10:00Z'), '2024-01-07T00:00:00.000Z');
    assert.equal(nextOf('@monthly', '2024-01-01T00:10:00Z'), '2024-02-01T00:00:00.000Z');
    assert.equal(nextOf('@yearly', '2024-01-01T00:10:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(nextOf('@every 15s', '2024-01-01T00:00:00.400Z'), '2024-01-01T00:00:15.000Z');
    assert.equal(nextOf('@every 1m30s', '2024-01-01T00:00:00Z'), '2024-01-01T00:01:30.000Z');
    // robfig/cron rounds intervals down to whole seconds, at least one.
    assert.equal(nextOf('@every 1500ms', '2024-01-01T00:00:00Z'), '2024-01-01T00:00:01.000Z');
    assert.equal(nextOf('@every 10ms', '2024-01-01T00:00:00Z'), '2024-01-01T00:00:01.000Z');
    assert.equal(nextOf('CRON_TZ=America/New_York 0 30 04 * * *', '2024-01-01T00:00:00Z'), '2024-01-01T09:30:00.000Z');
    assert.equal(nextOf('TZ=Asia/Tokyo 0 0 9 * * *', '2024-01-01T01:00:00Z'), '2024-01-02T00:00:00.000Z');
  });

  it('refuses what Dapr refuses, naming the schedule', () => {
    for (const schedule of ['', 'bad', '* * * *', '* * * * * * *', '61 * * * * *', '@every', '@every 5', '@every soon', '@fortnightly',
      'CRON_TZ=Nowhere/Land * * * * *']) {
      assert.throws(() => parseCronSchedule(schedule), { name: 'CronScheduleError', message: new RegExp(`^invalid schedule format '${escape(schedule)}'`) }, schedule);
    }
  });
});

describe('bindings.cron', () => {
  afterEach(() => mock.timers.reset());

  it('refuses a missing or invalid schedule at init', async () => {
    await assert.rejects(new CronBinding().init(testContext({})), /schedule not set/);
    await assert.rejects(new CronBinding().init(testContext({ schedule: 'every day' })), /invalid schedule format 'every day'/);
  });

  it('delivers one empty event per tick with Dapr\'s metadata, goes on after a refused tick and stops when closed', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.UTC(2024, 0, 1, 0, 0, 0, 0) });
    const context = testContext({ schedule: '@every 1s' });
    const warnings = mock.method(context.logger, 'warn', () => undefined);
    const cron = new CronBinding();
    await cron.init(context);
    const events: BindingEvent[] = [];
    const reader = await cron.read(async (event) => {
      events.push(event);
      if (events.length === 1) throw new Error('app answered 500');
    });
    mock.timers.tick(999);
    assert.equal(events.length, 0);
    mock.timers.tick(1);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.byteLength, 0);
    assert.deepEqual(events[0]?.metadata, { timeZone: 'Local', readTimeUTC: '2024-01-01 00:00:01 +0000 UTC' });
    await flushMicrotasks();
    assert.equal(warnings.mock.callCount(), 1);
    assert.match(String(warnings.mock.calls[0]?.arguments[0]), /did not take the tick \(not retried.*app answered 500/);
    mock.timers.tick(1000);
    mock.timers.tick(1000);
    assert.equal(events.length, 3);
    await reader.close();
    mock.timers.tick(10_000);
    assert.equal(events.length, 3);
    await cron.close();
    warnings.mock.restore();
  });

  it('stops every reader when the component closes', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const cron = new CronBinding();
    await cron.init(testContext({ schedule: '* * * * * *' }));
    let count = 0;
    await cron.read(async () => {
      count++;
    });
    mock.timers.tick(1000);
    mock.timers.tick(1000);
    assert.equal(count, 2);
    await cron.close();
    mock.timers.tick(5000);
    assert.equal(count, 2);
  });

  it('prints readTimeUTC as Go prints a UTC time', () => {
    assert.equal(goUtcString(new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 120))), '2024-05-06 07:08:09.12 +0000 UTC');
    assert.equal(goUtcString(new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 0))), '2024-05-06 07:08:09 +0000 UTC');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
