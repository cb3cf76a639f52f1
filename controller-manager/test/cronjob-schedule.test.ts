// The cron schedule (common/batch/cron) and the CronJob controller's schedule decisions:
// next start times, macros, names, steps, time zones, and missed-schedule handling.
import { expect } from 'chai';
import type { V1CronJob } from '@kubernetes/client-node';
import { CronSyntaxError, formatInZone, nextActivation, parseSchedule } from '@skiff/common/batch/cron';
import { jobFor, jobNameFor, mostRecentScheduleTime, rfc1123z, SCHEDULED_TIMESTAMP_ANNOTATION } from '../src/controllers/cronjob/schedule.ts';

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (schedule: string, from: string, zone?: string) => iso(nextActivation(parseSchedule(schedule), at(from), zone));

describe('cron schedules', () => {
  it('steps, ranges and lists', () => {
    expect(next('*/1 * * * *', '2024-03-10T10:00:30Z')).to.equal('2024-03-10T10:01:00.000Z');
    expect(next('*/15 * * * *', '2024-03-10T10:14:59Z')).to.equal('2024-03-10T10:15:00.000Z');
    expect(next('*/15 * * * *', '2024-03-10T10:15:00Z')).to.equal('2024-03-10T10:30:00.000Z');
    expect(next('5-10/2 3 * * *', '2024-03-10T03:06:00Z')).to.equal('2024-03-10T03:07:00.000Z');
    expect(next('0 9,17 * * *', '2024-03-10T09:00:00Z')).to.equal('2024-03-10T17:00:00.000Z');
    expect(next('30 6/4 * * *', '2024-03-10T11:00:00Z')).to.equal('2024-03-10T14:30:00.000Z');
  });

  it('month and day names, and day-of-month OR day-of-week when both are restricted', () => {
    // 2024-03-10 is a Sunday
    expect(next('0 0 * * MON', '2024-03-10T12:00:00Z')).to.equal('2024-03-11T00:00:00.000Z');
    expect(next('0 0 1 feb *', '2024-03-10T00:00:00Z')).to.equal('2025-02-01T00:00:00.000Z');
    expect(next('0 0 13 * fri', '2024-03-10T00:00:00Z')).to.equal('2024-03-13T00:00:00.000Z');
    expect(next('0 0 31 * *', '2024-04-01T00:00:00Z')).to.equal('2024-05-31T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2024-03-01T00:00:00Z')).to.equal('2028-02-29T00:00:00.000Z');
    expect(next('0 0 30 2 *', '2024-03-01T00:00:00Z')).to.equal(undefined);
  });

  it('macros', () => {
    expect(next('@hourly', '2024-03-10T10:00:00Z')).to.equal('2024-03-10T11:00:00.000Z');
    expect(next('@daily', '2024-03-10T10:00:00Z')).to.equal('2024-03-11T00:00:00.000Z');
    expect(next('@midnight', '2024-03-10T10:00:00Z')).to.equal('2024-03-11T00:00:00.000Z');
    expect(next('@weekly', '2024-03-10T10:00:00Z')).to.equal('2024-03-17T00:00:00.000Z');
    expect(next('@monthly', '2024-03-10T10:00:00Z')).to.equal('2024-04-01T00:00:00.000Z');
    expect(next('@yearly', '2024-03-10T10:00:00Z')).to.equal('2025-01-01T00:00:00.000Z');
    expect(next('@annually', '2024-03-10T10:00:00Z')).to.equal('2025-01-01T00:00:00.000Z');
  });

  it('time zones, across a daylight saving change', () => {
    // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer (change on 2024-03-31)
    expect(next('0 9 * * *', '2024-03-10T10:00:00Z', 'Europe/Paris')).to.equal('2024-03-11T08:00:00.000Z');
    expect(next('0 9 * * *', '2024-04-10T10:00:00Z', 'Europe/Paris')).to.equal('2024-04-11T07:00:00.000Z');
    expect(next('0 12 * * *', '2024-03-10T12:30:00Z', 'America/New_York')).to.equal('2024-03-10T16:00:00.000Z');
    expect(formatInZone(at('2024-04-11T07:00:00Z'), 'Europe/Paris')).to.equal('2024-04-11T09:00:00+02:00');
    expect(formatInZone(at('2024-04-11T07:00:00Z'))).to.equal('2024-04-11T07:00:00Z');
  });

  it('refuses what Kubernetes refuses', () => {
    for (const bad of [
      '61 * * * *',
      '* * * *',
      '* * * * * *',
      '*/0 * * * *',
      '5-1 * * * *',
      '@reboot',
      'TZ=UTC * * * * *',
      'x * * * *',
      '* * 0 * *',
      '* * * 13 *',
      '',
    ]) {
      expect(() => parseSchedule(bad), bad).to.throw(CronSyntaxError);
    }
  });
});

function cronJob(schedule: string, extra: Partial<V1CronJob['spec']> = {}, status: V1CronJob['status'] = {}, created = '2024-03-10T10:00:00Z'): V1CronJob {
  return {
    metadata: { name: 'tick', namespace: 'default', uid: 'u-1', creationTimestamp: new Date(created) },
    spec: { schedule, jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: { containers: [] } } } }, ...extra },
    status,
  };
}

describe('CronJob missed schedules', () => {
  it('nothing due before the first start time', () => {
    const r = mostRecentScheduleTime(cronJob('*/5 * * * *'), parseSchedule('*/5 * * * *'), at('2024-03-10T10:04:00Z'));
    expect(r).to.deep.equal({ missed: 0 });
  });

  it('runs only the most recent of several missed start times (one catch-up run)', () => {
    const cj = cronJob('*/1 * * * *', {}, { lastScheduleTime: new Date('2024-03-10T10:00:00Z') });
    const r = mostRecentScheduleTime(cj, parseSchedule('*/1 * * * *'), at('2024-03-10T10:07:30Z'));
    expect(iso(r.scheduled)).to.equal('2024-03-10T10:07:00.000Z');
    expect(r.missed).to.equal(7);
  });

  it('counts more than 100 missed start times without walking them all', () => {
    const cj = cronJob('*/1 * * * *', {}, {}, '2020-01-01T00:00:00Z');
    const r = mostRecentScheduleTime(cj, parseSchedule('*/1 * * * *'), at('2024-03-10T10:07:30Z'));
    expect(iso(r.scheduled)).to.equal('2024-03-10T10:07:00.000Z');
    expect(r.missed).to.be.greaterThan(100);
  });

  it('startingDeadlineSeconds bounds how far back start times count', () => {
    const cj = cronJob('0 * * * *', { startingDeadlineSeconds: 60 }, {}, '2024-03-10T08:30:00Z');
    expect(mostRecentScheduleTime(cj, parseSchedule('0 * * * *'), at('2024-03-10T10:05:00Z'))).to.deep.equal({ missed: 0 });
    expect(iso(mostRecentScheduleTime(cj, parseSchedule('0 * * * *'), at('2024-03-10T10:00:40Z')).scheduled)).to.equal('2024-03-10T10:00:00.000Z');
  });

  it('names Jobs by minutes since the epoch and annotates the scheduled time', () => {
    const cj = cronJob('*/1 * * * *', { timeZone: 'Europe/Paris' });
    const t = at('2024-03-10T10:07:00Z');
    expect(jobNameFor(cj, t)).to.equal(`tick-${t / 60_000}`);
    const job = jobFor(cj, t);
    expect(job.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).to.equal('2024-03-10T11:07:00+01:00');
    expect(job.metadata?.labels).to.deep.equal({ a: 'b' });
    expect(job.metadata?.ownerReferences?.[0]).to.include({ kind: 'CronJob', name: 'tick', uid: 'u-1', controller: true });
    expect(rfc1123z(t)).to.equal('Sun, 10 Mar 2024 10:07:00 +0000');
  });
});
