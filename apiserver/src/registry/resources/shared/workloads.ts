// What apps/v1 controllers share: replicas, selector vs template labels, template defaults.
import { field } from '../../../errors.ts';
import type { FieldError } from '../../../errors.ts';
import type { KObject } from '../../types.ts';
import { selectorIsEmpty, selectorMatches, validateLabelSelector } from '../../validation/labels.ts';
import type { LabelSelector } from '../../validation/labels.ts';
import { validatePodTemplateSpec } from '../../validation/pod-spec.ts';
import { validateNonNegative } from '../../validation/ports.ts';
import { validateImmutable } from '../../validation/meta.ts';
import { defaultPodSpec } from './pod-defaults.ts';

export function defaultWorkload(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= 1;
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** Replicas, selector and template as apps/v1 validates them for a `kind` (its name in messages). */
export function validateWorkloadSpec(spec: any, kind: string): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required('spec')];
  const out: FieldError[] = [];
  out.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  out.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector: LabelSelector | undefined = spec.selector;
  if (!selector) out.push(field.required('spec.selector'));
  else {
    out.push(...validateLabelSelector(selector, 'spec.selector'));
    if (selectorIsEmpty(selector)) out.push(field.invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
  }
  const labels = spec.template?.metadata?.labels;
  if (selector && !selectorIsEmpty(selector) && !selectorMatches(selector, labels)) {
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
