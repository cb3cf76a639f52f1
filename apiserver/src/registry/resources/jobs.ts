// batch/v1 Job: defaults (SetDefaults_Job), the generated selector and labels, the spec rules
// of ValidateJob and the fields a running Job may not change. CronJobs validate their job
// template with the same spec rules.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject } from '../types.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { isEmptyLabelSelector, labelSelectorMatches, SelectorError } from '@skiff/common/apimachinery/label-selector';
import { validateImmutable, validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import { validatePodTemplateSpec } from '../validation/pod-spec.ts';
import { validateNonNegative, validatePositive } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { defaultPodSpec } from './shared/pod-defaults.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';

const maxInt32 = 2147483647;
const completionModes = ['NonIndexed', 'Indexed'];
const restartPolicies = ['OnFailure', 'Never'];
const ruleActions = ['FailJob', 'FailIndex', 'Ignore', 'Count'];
const exitCodeOperators = ['In', 'NotIn'];
const replacementPolicies = ['TerminatingOrFailed', 'Failed'];
/** Indexed Jobs keep their indexes in annotations and status strings: upstream bounds them. */
const maxParallelismForIndexed = 100_000;

export const jobLabels = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
};

/** SetDefaults_Job for a job spec (also a CronJob's job template). */
export function defaultJobSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  if (spec.backoffLimit === undefined) spec.backoffLimit = typeof spec.backoffLimitPerIndex === 'number' ? maxInt32 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule?.onPodConditions ?? []) if (pattern && typeof pattern === 'object') pattern.status ??= 'True';
  }
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** generateSelector: unless manualSelector, the pods carry the Job's uid and name and the selector asks for the uid. */
function generateSelector(job: KObject): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  spec.template ??= {};
  spec.template.metadata ??= {};
  const labels = (spec.template.metadata.labels ??= {});
  labels[jobLabels.controllerUid] ??= uid;
  labels[jobLabels.jobName] ??= name;
  labels[jobLabels.legacyControllerUid] ??= uid;
  labels[jobLabels.legacyJobName] ??= name;
  spec.selector ??= { matchLabels: { [jobLabels.controllerUid]: uid } };
}

/** validateGeneratedSelector: without manualSelector the selector is exactly the one generateSelector makes. */
function validateGeneratedSelector(job: KObject): FieldError[] {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return [];
  const out: FieldError[] = [];
  const labels = spec.template?.metadata?.labels ?? {};
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  const expect: [string, string][] = [
    [jobLabels.legacyControllerUid, uid],
    [jobLabels.legacyJobName, name],
    [jobLabels.controllerUid, uid],
    [jobLabels.jobName, name],
  ];
  for (const [key, value] of expect) {
    if (labels[key] !== value) out.push(field.invalid(`spec.template.metadata.labels[${key}]`, labels[key] ?? '', `must be '${value}'`));
  }
  const expected = { matchLabels: { [jobLabels.controllerUid]: uid } };
  if (JSON.stringify(spec.selector) !== JSON.stringify(expected)) out.push(field.invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  return out;
}

function validatePodFailurePolicy(spec: any, path: string): FieldError[] {
  const policy = spec.podFailurePolicy;
  if (policy === undefined || policy === null) return [];
  const out: FieldError[] = [];
  if (spec.template?.spec?.restartPolicy !== 'Never') {
    out.push(
      field.invalid('spec.template.spec.restartPolicy', spec.template?.spec?.restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'),
    );
  }
  const rules: any[] = Array.isArray(policy.rules) ? policy.rules : [];
  if (rules.length > 20) out.push({ type: 'FieldValueTooMany', field: `${path}.rules`, value: rules.length, detail: 'must have at most 20 items' });
  const containers = new Set([...(spec.template?.spec?.containers ?? []), ...(spec.template?.spec?.initContainers ?? [])].map((c: any) => c?.name));
  rules.forEach((rule, i) => {
    const rp = `${path}.rules[${i}]`;
    const actions = typeof spec.backoffLimitPerIndex === 'number' ? ruleActions : ruleActions.filter((a) => a !== 'FailIndex');
    if (!actions.includes(rule?.action)) out.push(field.notSupported(`${rp}.action`, rule?.action ?? '', actions));
    const exit = rule?.onExitCodes;
    const conds = rule?.onPodConditions;
    if (exit && conds?.length) out.push(field.invalid(rp, 'specifying both OnExitCodes and OnPodConditions is not supported', ''));
    else if (!exit && !conds?.length) out.push(field.invalid(rp, 'specifying one of OnExitCodes and OnPodConditions is required', ''));
    if (exit) {
      const ep = `${rp}.onExitCodes`;
      if (exit.containerName !== undefined && !containers.has(exit.containerName)) {
        out.push(field.invalid(`${ep}.containerName`, exit.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      if (!exitCodeOperators.includes(exit.operator)) out.push(field.notSupported(`${ep}.operator`, exit.operator ?? '', exitCodeOperators));
      const values: unknown[] = Array.isArray(exit.values) ? exit.values : [];
      if (values.length === 0) out.push(field.required(`${ep}.values`, 'at least one value is required'));
      if (values.length > 255) out.push({ type: 'FieldValueTooMany', field: `${ep}.values`, value: values.length, detail: 'must have at most 255 items' });
      values.forEach((v, j) => {
        if (exit.operator === 'In' && v === 0) out.push(field.invalid(`${ep}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (j > 0 && typeof v === 'number' && typeof values[j - 1] === 'number') {
          if (v === values[j - 1]) out.push(field.duplicate(`${ep}.values[${j}]`, v));
          else if (v < (values[j - 1] as number)) out.push(field.invalid(`${ep}.values[${j}]`, v, 'must be ordered'));
        }
      });
    }
    (conds ?? []).forEach((c: any, j: number) => {
      const cp = `${rp}.onPodConditions[${j}]`;
      if (!['True', 'False', 'Unknown'].includes(c?.status)) out.push(field.notSupported(`${cp}.status`, c?.status ?? '', ['True', 'False', 'Unknown']));
      if (!c?.type) out.push(field.required(`${cp}.type`));
    });
  });
  return out;
}

/** validateJobSpec: counts, selector against the template, completion mode, restart policy, failure policy. */
export function validateJobSpec(spec: any, path = 'spec', selectorRequired = true): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  out.push(...validateNonNegative(spec.parallelism, `${path}.parallelism`));
  out.push(...validateNonNegative(spec.completions, `${path}.completions`));
  out.push(...validatePositive(spec.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`));
  out.push(...validateNonNegative(spec.backoffLimit, `${path}.backoffLimit`));
  out.push(...validateNonNegative(spec.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`));
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    if (selectorRequired) out.push(field.required(`${path}.selector`));
  } else {
    out.push(...validateLabelSelector(selector, `${path}.selector`));
    const labels = spec.template?.metadata?.labels;
    let matches = true;
    try {
      matches = isEmptyLabelSelector(selector) || labelSelectorMatches(selector, labels);
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
    }
    if (!matches) out.push(field.invalid(`${path}.template.metadata.labels`, labels ?? {}, '`selector` does not match template `labels`'));
  }
  if (spec.completionMode !== undefined && !completionModes.includes(spec.completionMode)) {
    out.push(field.notSupported(`${path}.completionMode`, spec.completionMode, completionModes));
  }
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined || spec.completions === null) out.push(field.required(`${path}.completions`, 'when completion mode is Indexed'));
    if (typeof spec.parallelism === 'number' && spec.parallelism > maxParallelismForIndexed) {
      out.push(
        field.invalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${maxParallelismForIndexed} when completion mode is Indexed`),
      );
    }
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null) {
    out.push(...validateNonNegative(spec.backoffLimitPerIndex, `${path}.backoffLimitPerIndex`));
    if (spec.completionMode !== 'Indexed')
      out.push(field.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (spec.template?.spec?.restartPolicy !== 'Never') {
      out.push(
        field.invalid(`${path}.template.spec.restartPolicy`, spec.template?.spec?.restartPolicy, 'must be "Never" when backoffLimitPerIndex is specified'),
      );
    }
  }
  if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null) {
    if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
      out.push(field.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
    }
    out.push(...validateNonNegative(spec.maxFailedIndexes, `${path}.maxFailedIndexes`));
    if (typeof spec.completions === 'number' && spec.maxFailedIndexes > spec.completions) {
      out.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, 'must be less than or equal to completions'));
    }
  }
  if (spec.podReplacementPolicy !== undefined) {
    if (!replacementPolicies.includes(spec.podReplacementPolicy)) {
      out.push(field.notSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, replacementPolicies));
    } else if (spec.podFailurePolicy && spec.podReplacementPolicy !== 'Failed') {
      out.push(field.notSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, ['Failed']));
    }
  }
  out.push(...validatePodTemplateSpec(spec.template, `${path}.template`).map((e) => e));
  const policy = spec.template?.spec?.restartPolicy;
  if (spec.template?.spec && !restartPolicies.includes(policy)) {
    out.push(field.notSupported(`${path}.template.spec.restartPolicy`, policy ?? '', restartPolicies));
  }
  out.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`).map((e) => ({ ...e, field: e.field.replace(/^spec\./, `${path}.`) })));
  return out;
}

/** What a Job whose pods may already run cannot change (ValidateJobSpecUpdate). */
function validateJobSpecUpdate(spec: any, old: any): FieldError[] {
  const out: FieldError[] = [];
  out.push(...validateImmutable(spec?.selector, old?.selector, 'spec.selector'));
  out.push(...validateImmutable(spec?.completionMode, old?.completionMode, 'spec.completionMode'));
  out.push(...validateImmutable(spec?.podFailurePolicy, old?.podFailurePolicy, 'spec.podFailurePolicy'));
  out.push(...validateImmutable(spec?.backoffLimitPerIndex, old?.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'));
  out.push(...validateImmutable(spec?.manualSelector, old?.manualSelector, 'spec.manualSelector'));
  // elastic Indexed Jobs scale completions together with parallelism
  const elastic = spec?.completionMode === 'Indexed' && spec?.completions === spec?.parallelism && old?.completions === old?.parallelism;
  if (!elastic) out.push(...validateImmutable(spec?.completions, old?.completions, 'spec.completions'));
  out.push(...validateTemplateUpdate(spec?.template, old?.template, old?.suspend === true));
  return out;
}

/** Scheduling directives of a suspended Job's template may change before it starts; nothing else may. */
function validateTemplateUpdate(tpl: any, old: any, suspended: boolean): FieldError[] {
  if (!suspended) return validateImmutable(tpl, old, 'spec.template');
  const strip = (t: any) => {
    if (!t) return t;
    const c = structuredClone(t);
    if (c.metadata) {
      delete c.metadata.labels;
      delete c.metadata.annotations;
    }
    if (c.spec) {
      for (const k of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) delete c.spec[k];
    }
    return c;
  };
  return validateImmutable(strip(tpl), strip(old), 'spec.template');
}

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  resource: 'jobs',
  singular: 'job',
  categories: ['all'],
  namespaced: true,
  subresources: ['status'],

  defaults(obj) {
    const spec = (obj.spec ??= {});
    defaultJobSpec(spec);
    const templateLabels = spec.template?.metadata?.labels;
    if (templateLabels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...templateLabels };
  },

  validate(obj) {
    // The store validates before prepareForCreate: judge the Job as it will be stored, with
    // the selector and labels generateSelector adds (a no-op on an existing Job).
    const view = structuredClone(obj);
    generateSelector(view);
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateJobSpec(view.spec), ...validateGeneratedSelector(view)];
  },

  validateUpdate(obj, old) {
    const out = validateJobSpecUpdate(obj.spec, old.spec);
    for (const k of ['active', 'succeeded', 'failed', 'ready', 'terminating']) out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
    return out;
  },

  prepareForCreate(obj) {
    obj.status = {};
    generateSelector(obj);
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
