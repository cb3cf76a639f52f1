// When a CronJob runs: the most recent missed start time (at most one catch-up run, as
// Kubernetes' mostRecentScheduleTime), the next start, and the Job for one scheduled time.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { type CronSchedule, formatInZone, nextActivation } from '@skiff/common/batch/cron';
import { newControllerRef } from '@skiff/common/apimachinery/owner-references';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed start times than this means a broken clock or a long outage: warn instead of listing them. */
export const MANY_MISSED = 100;

export interface MostRecent {
  /** the latest start time at or before now that was not started yet */
  scheduled?: number;
  /** how many start times were missed (capped just above MANY_MISSED) */
  missed: number;
}

const ms = (t: unknown): number | undefined => (t ? new Date(t as string).getTime() : undefined);

/** The time from which start times count: the last one scheduled, else creation, no earlier than the starting deadline. */
export function earliestTime(cj: V1CronJob, now: number): number {
  let earliest = ms(cj.status?.lastScheduleTime) ?? ms(cj.metadata?.creationTimestamp) ?? now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  return earliest;
}

export function mostRecentScheduleTime(cj: V1CronJob, schedule: CronSchedule, now: number): MostRecent {
  const zone = cj.spec?.timeZone ?? undefined;
  const first = nextActivation(schedule, earliestTime(cj, now), zone);
  if (first === undefined || first > now) return { missed: 0 };
  let missed = 1;
  let latest = first;
  for (;;) {
    const next = nextActivation(schedule, latest, zone);
    if (next === undefined || next > now) break;
    missed++;
    latest = next;
    if (missed > MANY_MISSED) {
      // do not walk decades of minutes: jump close to now and find the last start time from there
      const second = nextActivation(schedule, first, zone) ?? first;
      const interval = Math.max(second - first, 1000);
      missed = Math.floor((now - first) / interval) + 1;
      let t = Math.max(latest, now - 2 * interval);
      for (let n = nextActivation(schedule, t, zone); n !== undefined && n <= now; n = nextActivation(schedule, t, zone)) t = n;
      latest = t;
      break;
    }
  }
  return { scheduled: latest, missed };
}

/** `<cronjob>-<minutes since the epoch>`: the same scheduled time always names the same Job. */
export function jobNameFor(cj: V1CronJob, scheduled: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduled / 60_000)}`;
}

/** getJobFromTemplate2: the template's labels, annotations and spec, owned by the CronJob. */
export function jobFor(cj: V1CronJob, scheduled: number): V1Job {
  const t = cj.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata?.namespace,
      labels: { ...t?.metadata?.labels },
      annotations: { ...t?.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, cj.spec?.timeZone ?? undefined) },
      ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(t?.spec ?? { template: {} }),
  };
}

/** As Go's time.RFC1123Z, the format of the MissSchedule event. */
export function rfc1123z(at: number): string {
  const d = new Date(at);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
