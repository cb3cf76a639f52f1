// apps/v1 DaemonSet: one pod per eligible node, rolled by the DaemonSet controller.
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';
import { defaultPodTemplate, validateSelectorUnchanged, validateWorkloadSpec } from './shared/workloads.ts';
import { parseIntOrPercent, validateIntOrPercent } from '@skiff/common/apimachinery/int-or-string';

const strategyTypes = ['RollingUpdate', 'OnDelete'];

/**
 * apps/v1 carries the internal spec.templateGeneration in this annotation (the conversion in
 * pkg/apis/apps/v1); the controller labels pods with it as pod-template-generation.
 */
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

const statusCounts = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'observedGeneration',
  'collisionCount',
];

function validateUpdateStrategy(strategy: any): FieldError[] {
  const out: FieldError[] = [];
  const path = 'spec.updateStrategy';
  if (!strategy || !strategyTypes.includes(strategy.type)) {
    out.push(field.notSupported(path, strategy?.type, strategyTypes));
    return out;
  }
  if (strategy.type !== 'RollingUpdate') return out;
  const ru = strategy.rollingUpdate;
  if (!ru) return [field.required(`${path}.rollingUpdate`)];
  out.push(...validateIntOrPercent(ru.maxUnavailable, `${path}.rollingUpdate.maxUnavailable`));
  out.push(...validateIntOrPercent(ru.maxSurge, `${path}.rollingUpdate.maxSurge`));
  const unavailable = parseIntOrPercent(ru.maxUnavailable)?.value ?? 0;
  const surge = parseIntOrPercent(ru.maxSurge)?.value ?? 0;
  // exactly one of them moves the rollout: surging and dropping nodes at once is refused
  if (unavailable !== 0 && surge !== 0) {
    out.push(field.invalid(`${path}.rollingUpdate.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  } else if (unavailable === 0 && surge === 0) {
    out.push(field.required(`${path}.rollingUpdate.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  }
  return out;
}

function templateGeneration(obj: KObject): number {
  const n = Number.parseInt(obj.metadata?.annotations?.[templateGenerationAnnotation] ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function setTemplateGeneration(obj: KObject, generation: number): void {
  obj.metadata.annotations = { ...obj.metadata.annotations, [templateGenerationAnnotation]: String(generation) };
}

export const daemonsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  resource: 'daemonsets',
  singular: 'daemonset',
  shortNames: ['ds'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status'],

  defaults(obj) {
    const spec = (obj.spec ??= {});
    defaultPodTemplate(spec);
    spec.updateStrategy ??= {};
    spec.updateStrategy.type ??= 'RollingUpdate';
    if (spec.updateStrategy.type === 'RollingUpdate') {
      spec.updateStrategy.rollingUpdate ??= {};
      spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
      spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
  },

  validate(obj) {
    const out = [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateWorkloadSpec(obj.spec, 'daemonset', 'DaemonSet')];
    const spec = obj.spec ?? {};
    out.push(...validateUpdateStrategy(spec.updateStrategy));
    out.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
    return out;
  },

  validateUpdate(obj, old) {
    const out = validateSelectorUnchanged(obj, old);
    for (const k of statusCounts) out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
    return out;
  },

  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
    // the template generation is the server's: it counts template changes, whatever the client sent
    const previous = templateGeneration(old);
    const changed = !isDeepStrictEqual(obj.spec?.template, old.spec?.template);
    setTemplateGeneration(obj, changed ? previous + 1 : previous);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
