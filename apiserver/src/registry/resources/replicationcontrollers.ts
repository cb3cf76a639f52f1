// core/v1 ReplicationController: the ReplicaSet's predecessor, with an equality-only selector
// (a plain label map). The controller-manager runs it on the ReplicaSet controller's logic.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateLabels } from '@skiff/common/apimachinery/object-meta';
import { selectorFromSet } from '@skiff/common/apimachinery/label-selector';
import { validatePodTemplateSpec } from '../validation/pod-spec.ts';
import { validateNonNegative } from '../validation/ports.ts';
import { labelSelectorToString } from '../selectors.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { defaultPodSpec } from './shared/pod-defaults.ts';
import { replicaStatusSplit, validateReplicaStatus } from './shared/workloads.ts';

const isEmpty = (m: unknown) => !m || typeof m !== 'object' || Object.keys(m).length === 0;

/** SetDefaults_ReplicationController: selector and labels default to the template's labels. */
function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= 1;
  const templateLabels = spec.template?.metadata?.labels;
  if (!isEmpty(templateLabels)) {
    if (isEmpty(spec.selector)) spec.selector = { ...templateLabels };
    if (isEmpty(obj.metadata.labels)) obj.metadata.labels = { ...templateLabels };
  }
  if (spec.template) {
    spec.template.spec ??= {};
    defaultPodSpec(spec.template.spec);
  }
}

/** ValidateReplicationControllerSpec and ValidatePodTemplateSpecForRC. */
function validateSpec(spec: any): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required('spec')];
  const out: FieldError[] = [];
  out.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isEmpty(spec.selector)) out.push(field.required('spec.selector'));
  else out.push(...validateLabels(spec.selector, 'spec.selector'));
  out.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  const template = spec.template;
  if (!template) {
    out.push(field.required('spec.template'));
    return out;
  }
  const labels = template.metadata?.labels;
  if (!isEmpty(spec.selector) && !selectorFromSet(spec.selector).matches(labels)) {
    out.push(field.invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  out.push(...validatePodTemplateSpec(template, 'spec.template'));
  const policy = template.spec?.restartPolicy;
  if (policy !== 'Always') out.push(field.notSupported('spec.template.spec.restartPolicy', policy ?? '', ['Always']));
  if (template.spec?.activeDeadlineSeconds != null) {
    out.push(field.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return out;
}

export const replicationcontrollers: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  resource: 'replicationcontrollers',
  singular: 'replicationcontroller',
  shortNames: ['rc'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'scale'],
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    labelSelector: (rc) => labelSelectorToString(selectorFromSet(rc.spec?.selector)),
  },

  defaults,

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateSpec(obj.spec)];
  },

  validateUpdate: validateReplicaStatus,

  ...replicaStatusSplit,
};
