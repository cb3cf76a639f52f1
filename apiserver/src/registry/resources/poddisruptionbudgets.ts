// policy/v1 PodDisruptionBudget: how many of an application's pods voluntary disruptions
// (evictions, `kubectl drain`) may take down at once. The disruption controller keeps its
// status; the pods/eviction subresource spends it (pod-eviction.ts).
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { validateIntOrPercent } from '@skiff/common/apimachinery/int-or-string';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';

export const unhealthyPodEvictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

function validateSpec(spec: any): FieldError[] {
  const out: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return out;
  if (spec.minAvailable != null && spec.maxUnavailable != null) {
    out.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  out.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  out.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && !unhealthyPodEvictionPolicies.includes(policy)) {
    out.push(field.notSupported('spec.unhealthyPodEvictionPolicy', policy, unhealthyPodEvictionPolicies));
  }
  return out;
}

/** metav1validation.ValidateConditions for the few rules a client can break by hand. */
function validateConditions(conditions: unknown, path: string): FieldError[] {
  if (conditions == null) return [];
  if (!Array.isArray(conditions)) return [field.invalid(path, conditions, 'must be a list')];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  conditions.forEach((c: any, i) => {
    const p = `${path}[${i}]`;
    if (!c?.type) out.push(field.required(`${p}.type`, 'must be set'));
    else if (seen.has(c.type)) out.push(field.duplicate(`${p}.type`, c.type));
    else seen.add(c.type);
    if (!['True', 'False', 'Unknown'].includes(c?.status)) out.push(field.notSupported(`${p}.status`, c?.status ?? '', ['False', 'True', 'Unknown']));
    if (!c?.lastTransitionTime) out.push(field.required(`${p}.lastTransitionTime`, 'must be set'));
    if (!c?.reason) out.push(field.required(`${p}.reason`, 'must be set'));
    out.push(...validateNonNegative(c?.observedGeneration, `${p}.observedGeneration`));
  });
  return out;
}

function validateStatus(status: any): FieldError[] {
  if (!status) return [];
  const out: FieldError[] = [];
  for (const k of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods', 'observedGeneration']) {
    out.push(...validateNonNegative(status[k], `status.${k}`));
  }
  out.push(...validateConditions(status.conditions, 'status.conditions'));
  return out;
}

/** What a new budget reports before the controller has looked: nothing may be disrupted. */
function initialStatus(): KObject['status'] {
  return { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

export const poddisruptionbudgets: ResourceDef = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  resource: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  shortNames: ['pdb'],
  namespaced: true,
  subresources: ['status'],

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateSpec(obj.spec)];
  },

  validateUpdate(obj) {
    return validateStatus(obj.status);
  },

  prepareForCreate(obj) {
    obj.status = initialStatus();
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
