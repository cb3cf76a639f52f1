// autoscaling/v2 HorizontalPodAutoscaler, and autoscaling/v1 served from the same storage: the
// stored form is v2; a v1 request is converted on the way in and out (shared/hpa-v1-conversion.ts),
// so every hook below runs on the v2 shape whichever version the client spoke. Defaults are
// SetDefaults_HorizontalPodAutoscaler's, validation ValidateHorizontalPodAutoscaler's messages.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain, nameIsPathSegment } from '@skiff/common/apimachinery/names';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';
import { hpaFromV1, hpaToV1 } from './shared/hpa-v1-conversion.ts';

/** autoscaling.DefaultCPUUtilization: the target when a spec names no metric. */
export const defaultCpuUtilization = 80;
const maxStabilizationWindowSeconds = 3600;
const maxPeriodSeconds = 1800;
const metricSourceTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const metricTargetTypes = ['Utilization', 'Value', 'AverageValue'];
const selectPolicies = ['Disabled', 'Max', 'Min'];
const policyTypes = ['Percent', 'Pods'];

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the defaults, overridden field by field. */
export function defaultScaleUpRules(): any {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}
export function defaultScaleDownRules(): any {
  return { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}
function withDefaults(rules: any, base: any): any {
  if (!rules || typeof rules !== 'object') return base;
  return {
    stabilizationWindowSeconds: rules.stabilizationWindowSeconds ?? base.stabilizationWindowSeconds,
    selectPolicy: rules.selectPolicy ?? base.selectPolicy,
    policies: Array.isArray(rules.policies) && rules.policies.length > 0 ? rules.policies : base.policies,
    ...(rules.tolerance !== undefined ? { tolerance: rules.tolerance } : {}),
  };
}

function setDefaults(obj: KObject): void {
  const spec = obj.spec;
  if (!spec || typeof spec !== 'object') return;
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCpuUtilization } } }];
  }
  // only a behavior the client wrote is filled in; none at all means the controller's defaults
  if (spec.behavior && typeof spec.behavior === 'object') {
    spec.behavior.scaleUp = withDefaults(spec.behavior.scaleUp, defaultScaleUpRules());
    spec.behavior.scaleDown = withDefaults(spec.behavior.scaleDown, defaultScaleDownRules());
  }
}

function validateCrossVersionObjectReference(ref: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  for (const k of ['kind', 'name']) {
    const v = ref?.[k];
    if (!v) out.push(field.required(`${path}.${k}`, ''));
    else for (const msg of nameIsPathSegment(String(v), false)) out.push(field.invalid(`${path}.${k}`, v, msg));
  }
  return out;
}

function positive(q: unknown): boolean {
  const parsed = tryParseQuantity(q);
  return parsed !== undefined && parsed.sign === 1;
}

function validateMetricTarget(t: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!t?.type) out.push(field.required(`${path}.type`, 'must specify a metric target type'));
  else if (!metricTargetTypes.includes(t.type)) out.push(field.invalid(`${path}.type`, t.type, 'must be either Utilization, Value, or AverageValue'));
  if (t?.value != null && !positive(t.value)) out.push(field.invalid(`${path}.value`, t.value, 'must be positive'));
  if (t?.averageValue != null && !positive(t.averageValue)) out.push(field.invalid(`${path}.averageValue`, t.averageValue, 'must be positive'));
  if (t?.averageUtilization != null && !(t.averageUtilization >= 1)) {
    out.push(field.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  return out;
}

function validateMetricIdentifier(id: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!id?.name) out.push(field.required(`${path}.name`, 'must specify a metric name'));
  if (id?.selector != null) out.push(...validateLabelSelector(id.selector, `${path}.selector`));
  return out;
}

function validateResourceSource(src: any, path: string, container: boolean): FieldError[] {
  const out: FieldError[] = [];
  if (!src?.name) out.push(field.required(`${path}.name`, 'must specify a resource name'));
  if (container && !src?.container) out.push(field.required(`${path}.container`, 'must specify a container'));
  const t = src?.target;
  if (t?.averageUtilization == null && t?.averageValue == null) {
    out.push(field.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  }
  out.push(...validateMetricTarget(t, `${path}.target`));
  if (t?.averageUtilization != null && t?.averageValue != null) {
    out.push(field.forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  }
  return out;
}

function validateValueSource(src: any, path: string, kind: 'object' | 'pods' | 'external'): FieldError[] {
  const out: FieldError[] = [];
  if (kind === 'object') out.push(...validateCrossVersionObjectReference(src?.describedObject, `${path}.describedObject`));
  out.push(...validateMetricIdentifier(src?.metric, `${path}.metric`));
  out.push(...validateMetricTarget(src?.target, `${path}.target`));
  const t = src?.target;
  if (kind === 'pods' && t?.averageValue == null) out.push(field.required(`${path}.target.averageValue`, 'must specify a positive target averageValue'));
  if (kind !== 'pods' && t?.value == null && t?.averageValue == null) {
    out.push(field.required(`${path}.target.value`, 'must set either a target value or averageValue'));
  }
  return out;
}

const sourceField: Record<string, string> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};

function validateMetricSpec(m: any, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!m?.type) out.push(field.required(`${path}.type`, 'must specify a metric source type'));
  else if (!metricSourceTypes.includes(m.type)) out.push(field.notSupported(`${path}.type`, m.type, metricSourceTypes));
  const present = Object.values(sourceField).filter((k) => m?.[k] != null);
  const expected = sourceField[m?.type];
  if (expected && !present.includes(expected)) out.push(field.required(`${path}.${expected}`, 'must populate information for the given metric source'));
  if (expected && present.includes(expected)) {
    const p = `${path}.${expected}`;
    const src = m[expected];
    if (expected === 'resource') out.push(...validateResourceSource(src, p, false));
    else if (expected === 'containerResource') out.push(...validateResourceSource(src, p, true));
    else out.push(...validateValueSource(src, p, expected as 'object' | 'pods' | 'external'));
  }
  for (const k of present) if (k !== expected) out.push(field.forbidden(`${path}.${k}`, 'must populate the given metric source only'));
  return out;
}

function validateScalingRules(rules: any, path: string): FieldError[] {
  if (rules == null) return [];
  const out: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w != null && w < 0) out.push(field.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w != null && w > maxStabilizationWindowSeconds) {
    out.push(field.invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${maxStabilizationWindowSeconds}`));
  }
  if (rules.selectPolicy != null && !selectPolicies.includes(rules.selectPolicy)) {
    out.push(field.notSupported(`${path}.selectPolicy`, rules.selectPolicy, selectPolicies));
  }
  const policies = Array.isArray(rules.policies) ? rules.policies : [];
  if (policies.length === 0) out.push(field.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p: any, i: number) => {
    const pp = `${path}.policies[${i}]`;
    if (!policyTypes.includes(p?.type)) out.push(field.notSupported(`${pp}.type`, p?.type ?? '', policyTypes));
    if (!(p?.value > 0)) out.push(field.invalid(`${pp}.value`, p?.value ?? 0, 'must be greater than zero'));
    if (!(p?.periodSeconds > 0)) out.push(field.invalid(`${pp}.periodSeconds`, p?.periodSeconds ?? 0, 'must be greater than zero'));
    else if (p.periodSeconds > maxPeriodSeconds)
      out.push(field.invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${maxPeriodSeconds}`));
  });
  return out;
}

function validateSpec(spec: any): FieldError[] {
  const out: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [field.required('spec', '')];
  const min = spec.minReplicas;
  if (min != null && min < 1) out.push(field.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = spec.maxReplicas ?? 0;
  if (max < 1) out.push(field.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min != null && max < min) out.push(field.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  out.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  (Array.isArray(spec.metrics) ? spec.metrics : []).forEach((m: any, i: number) => out.push(...validateMetricSpec(m, `spec.metrics[${i}]`)));
  if (spec.behavior != null) {
    out.push(...validateScalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    out.push(...validateScalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return out;
}

function validateStatus(status: any): FieldError[] {
  if (!status) return [];
  return [...validateNonNegative(status.currentReplicas, 'status.currentReplicas'), ...validateNonNegative(status.desiredReplicas, 'status.desiredReplicas')];
}

const shared: Omit<ResourceDef, 'version'> = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status'],
  storageResource: 'horizontalpodautoscalers',

  defaults: setDefaults,
  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateSpec(obj.spec)];
  },
  validateUpdate(obj) {
    return validateStatus(obj.status);
  },
  prepareForCreate(obj) {
    // a new autoscaler starts with an empty status (Go's zero HorizontalPodAutoscalerStatus:
    // desiredReplicas and currentMetrics have no omitempty); the controller fills it
    obj.status = { currentMetrics: null, desiredReplicas: 0 };
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};

export const horizontalpodautoscalersV2: ResourceDef = { ...shared, version: 'v2' };

/** autoscaling/v1: targetCPUUtilizationPercentage; the rest of v2 rides in annotations. */
export const horizontalpodautoscalersV1: ResourceDef = {
  ...shared,
  version: 'v1',
  // SetDefaults for v1 is minReplicas only; the CPU default needs the annotations (hpaFromV1)
  defaults(obj) {
    if (obj.spec && typeof obj.spec === 'object') obj.spec.minReplicas ??= 1;
  },
  toStorage: hpaFromV1,
  fromStorage: hpaToV1,
};
