// What apps/v1 controllers share: replicas, selector vs template labels, template defaults.
import { field } from '../../../errors.ts';
import type { FieldError } from '../../../errors.ts';
import type { KObject, ResourceDef } from '../../types.ts';
import { isEmptyLabelSelector, type LabelSelectorObject, SelectorError, selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import { validateImmutable, validateLabelSelector } from '@skiff/common/apimachinery/object-meta';
import { validatePodTemplateSpec } from '../../validation/pod-spec.ts';
import { validateNonNegative } from '../../validation/ports.ts';
import { defaultPodSpec } from './pod-defaults.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './status-split.ts';

export function defaultWorkload(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= 1;
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** As ValidateReplicaSetSpec: a selector that does not convert was reported already, not as a mismatch. */
function selectorMatchesTemplate(selector: LabelSelectorObject, labels: Record<string, string> | undefined): boolean {
  try {
    return selectorFromObject(selector).matches(labels);
  } catch (e) {
    if (e instanceof SelectorError) return true;
    throw e;
  }
}

/** Replicas, selector and template as apps/v1 validates them for a `kind` (its name in messages). */
export function validateWorkloadSpec(spec: any, kind: string): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required('spec')];
  const out: FieldError[] = [];
  out.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  out.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector: LabelSelectorObject | undefined = spec.selector;
  if (!selector) out.push(field.required('spec.selector'));
  else {
    out.push(...validateLabelSelector(selector, 'spec.selector'));
    if (isEmptyLabelSelector(selector)) out.push(field.invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
  }
  const labels = spec.template?.metadata?.labels;
  if (selector && !isEmptyLabelSelector(selector) && !selectorMatchesTemplate(selector, labels)) {
    out.push(field.invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  out.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const policy = spec.template?.spec?.restartPolicy;
  if (policy !== undefined && policy !== 'Always') out.push(field.notSupported('spec.template.spec.restartPolicy', policy, ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    out.push(field.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return out;
}

/** apps/v1 fixes the selector at creation: controllers would otherwise orphan their pods. */
export function validateSelectorUnchanged(obj: KObject, old: KObject): FieldError[] {
  return validateImmutable(obj.spec?.selector, old.spec?.selector, 'spec.selector');
}

/** The replica counts a ReplicaSet or ReplicationController reports may not be negative. */
export function validateReplicaStatus(obj: KObject): FieldError[] {
  const out: FieldError[] = [];
  for (const k of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
  }
  return out;
}

/** A ReplicaSet's or ReplicationController's status is its controller's: new objects report 0 replicas. */
export const replicaStatusSplit: Pick<ResourceDef, 'prepareForCreate' | 'prepareForUpdate' | 'prepareForStatusUpdate' | 'specChanged'> = {
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
