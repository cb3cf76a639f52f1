// batch/v1 CronJob: SetDefaults_CronJob and ValidateCronJob (schedule, time zone, policies,
// history limits, and the job template with the Job's own spec rules).
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateAnnotations, validateLabels } from '@skiff/common/apimachinery/object-meta';
import { CronSyntaxError, isValidTimeZone, parseSchedule, scheduleHasTimeZone } from '@skiff/common/batch/cron';
import { validateNonNegative } from '../validation/ports.ts';
import { validateJobSpec } from './jobs.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { defaultPodSpec } from './shared/pod-defaults.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';

const concurrencyPolicies = ['Allow', 'Forbid', 'Replace'];
/** Job names are `<cronjob>-<minutes since epoch>` (11 more characters) and must stay labels of 63. */
const maxCronJobNameLength = 52;

function validateSchedule(schedule: unknown): FieldError[] {
  if (schedule === undefined || schedule === null || schedule === '') return [field.required('spec.schedule')];
  if (typeof schedule !== 'string') return [field.invalid('spec.schedule', schedule, 'must be a string')];
  if (scheduleHasTimeZone(schedule)) return [field.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead')];
  try {
    parseSchedule(schedule);
    return [];
  } catch (e) {
    if (e instanceof CronSyntaxError) return [field.invalid('spec.schedule', schedule, e.message)];
    throw e;
  }
}

function validateTimeZone(zone: unknown): FieldError[] {
  if (zone === undefined || zone === null) return [];
  if (typeof zone !== 'string' || !isValidTimeZone(zone)) return [field.invalid('spec.timeZone', zone, `unknown time zone ${String(zone)}`)];
  return [];
}

function validateJobTemplate(tpl: any): FieldError[] {
  const path = 'spec.jobTemplate';
  if (!tpl || typeof tpl !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  out.push(...validateLabels(tpl.metadata?.labels, `${path}.metadata.labels`));
  out.push(...validateAnnotations(tpl.metadata?.annotations, `${path}.metadata.annotations`));
  out.push(...validateJobSpec(tpl.spec, `${path}.spec`, false));
  if (tpl.spec?.manualSelector === true) out.push(field.notSupported(`${path}.spec.manualSelector`, true, ['nil', 'false']));
  return out;
}

export const cronjobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  resource: 'cronjobs',
  singular: 'cronjob',
  shortNames: ['cj'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status'],

  defaults(obj) {
    const spec = (obj.spec ??= {});
    if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    const podSpec = spec.jobTemplate?.spec?.template?.spec;
    if (podSpec) defaultPodSpec(podSpec);
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    const name = obj.metadata.name ?? '';
    if (name.length > maxCronJobNameLength) out.push(field.invalid('metadata.name', name, `must be no more than ${maxCronJobNameLength} characters`));
    const spec = obj.spec;
    if (!spec || typeof spec !== 'object') return [...out, field.required('spec')];
    out.push(...validateSchedule(spec.schedule));
    out.push(...validateTimeZone(spec.timeZone));
    out.push(...validateNonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
    if (!concurrencyPolicies.includes(spec.concurrencyPolicy)) {
      out.push(field.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy ?? '', concurrencyPolicies));
    }
    out.push(...validateNonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
    out.push(...validateNonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
    out.push(...validateJobTemplate(spec.jobTemplate));
    return out;
  },

  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
