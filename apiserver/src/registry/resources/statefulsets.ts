// apps/v1 StatefulSet (pkg/apis/apps/validation ValidateStatefulSet, pkg/apis/apps/v1 defaults).
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { parseIntOrPercent, percentMessage } from '@skiff/common/apimachinery/int-or-string';
import { checkDns1123Label, checkDns1123Subdomain, nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';
import { defaultWorkload, validateSelectorUnchanged, validateWorkloadSpec } from './shared/workloads.ts';

const podManagementPolicies = ['OrderedReady', 'Parallel'];
const updateStrategyTypes = ['OnDelete', 'RollingUpdate'];
const retentionPolicies = ['Delete', 'Retain'];

/** The spec fields an update may change; Kubernetes names them in its refusal. */
const mutableSpecFields = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];
const immutableMessage = `updates to statefulset spec for fields other than ${mutableSpecFields.map((f) => `'${f}'`).join(', ')} are forbidden`;

function defaultStatefulSet(obj: KObject): void {
  defaultWorkload(obj);
  const spec = obj.spec;
  spec.podManagementPolicy ||= 'OrderedReady';
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ||= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
  // each template is a PersistentVolumeClaim and gets that kind's defaults
  for (const t of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    if (!t || typeof t !== 'object') continue;
    t.spec ??= {};
    t.spec.volumeMode ??= 'Filesystem';
    t.status ??= {};
    t.status.phase ||= 'Pending';
  }
}

function validateUpdateStrategy(strategy: any): FieldError[] {
  const out: FieldError[] = [];
  const type = strategy?.type;
  if (!type) return [field.required('spec.updateStrategy', '')];
  if (!updateStrategyTypes.includes(type)) return [field.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'")];
  const ru = strategy.rollingUpdate;
  if (type === 'OnDelete' && ru) out.push(field.invalid('spec.updateStrategy.rollingUpdate', ru, "only allowed for updateStrategy 'RollingUpdate'"));
  if (type === 'RollingUpdate' && ru) {
    out.push(...validateNonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
    if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
      const path = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
      const parsed = parseIntOrPercent(ru.maxUnavailable);
      if (!parsed) out.push(field.invalid(path, ru.maxUnavailable, percentMessage));
      else if (parsed.value < 0) out.push(field.invalid(path, ru.maxUnavailable, 'must be greater than or equal to 0'));
      else if (parsed.value === 0) out.push(field.invalid(path, ru.maxUnavailable, 'cannot be 0'));
      else if (parsed.percent && parsed.value > 100) out.push(field.invalid(path, ru.maxUnavailable, 'must not be greater than 100%'));
    }
  }
  return out;
}

/**
 * The spec with each claim template as a volume of the pod template: containers mount claims by
 * template name, so the pod checks must see the union of volumes and claims (as upstream's
 * ValidateStatefulSetSpec notes), the volumes each pod will really have.
 */
function withClaimVolumes(spec: any): any {
  const templates = Array.isArray(spec?.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  const podSpec = spec?.template?.spec;
  if (templates.length === 0 || !podSpec || typeof podSpec !== 'object') return spec;
  const names = new Set((Array.isArray(podSpec.volumes) ? podSpec.volumes : []).map((v: any) => v?.name));
  const claimVolumes = templates
    .map((t: any) => t?.metadata?.name)
    .filter((name: unknown) => typeof name === 'string' && name && !names.has(name))
    .map((name: string) => ({ name, persistentVolumeClaim: { claimName: name } }));
  return { ...spec, template: { ...spec.template, spec: { ...podSpec, volumes: [...(podSpec.volumes ?? []), ...claimVolumes] } } };
}

function validateStatefulSetSpec(spec: any): FieldError[] {
  const out = validateWorkloadSpec(withClaimVolumes(spec), 'statefulset').map((e) =>
    e.field === 'spec.template.spec.activeDeadlineSeconds' ? field.forbidden(e.field, 'activeDeadlineSeconds in StatefulSet is not Supported') : e,
  );
  if (!spec || typeof spec !== 'object') return out;
  const policy = spec.podManagementPolicy;
  if (!policy) out.push(field.required('spec.podManagementPolicy', ''));
  else if (!podManagementPolicies.includes(policy)) out.push(field.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  out.push(...validateUpdateStrategy(spec.updateStrategy));
  out.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.ordinals) out.push(...validateNonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  // the pods' subdomain: it must be usable as one DNS label
  if (spec.serviceName) for (const msg of checkDns1123Label(String(spec.serviceName))) out.push(field.invalid('spec.serviceName', spec.serviceName, msg));
  const retention = spec.persistentVolumeClaimRetentionPolicy ?? {};
  for (const k of ['whenDeleted', 'whenScaled']) {
    const v = retention[k];
    if (v !== undefined && !retentionPolicies.includes(v)) out.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, retentionPolicies));
  }
  const templates = spec.volumeClaimTemplates ?? [];
  if (!Array.isArray(templates)) out.push(field.invalid('spec.volumeClaimTemplates', templates, 'must be a list'));
  else
    templates.forEach((t: any, i: number) => {
      const name = t?.metadata?.name;
      const path = `spec.volumeClaimTemplates[${i}].metadata.name`;
      if (!name) out.push(field.required(path, 'name or generateName is required'));
      else for (const msg of checkDns1123Subdomain(String(name))) out.push(field.invalid(path, name, msg));
    });
  return out;
}

/** Everything but the mutable fields must stay as it was (ValidateStatefulSetUpdate). */
function validateSpecUpdate(spec: any, oldSpec: any): FieldError[] {
  const strip = (s: any) => {
    const copy = { ...(s ?? {}) };
    for (const f of mutableSpecFields) delete copy[f];
    return copy;
  };
  return isDeepStrictEqual(strip(spec), strip(oldSpec)) ? [] : [field.forbidden('spec', immutableMessage)];
}

export const statefulsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  resource: 'statefulsets',
  singular: 'statefulset',
  shortNames: ['sts'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'scale'],
  // the Scale's selector comes from spec.selector: StatefulSet status has none
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas' },

  defaults: defaultStatefulSet,

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateStatefulSetSpec(obj.spec)];
  },

  validateUpdate(obj, old) {
    const out = [...validateSelectorUnchanged(obj, old), ...validateSpecUpdate(obj.spec, old.spec)];
    for (const k of ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']) {
      out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
    }
    return out;
  },

  prepareForCreate(obj) {
    obj.status = { replicas: 0, availableReplicas: 0 };
  },
  prepareForUpdate(obj, old) {
    keepOldStatus(obj, old);
  },
  prepareForStatusUpdate: takeStatusOnly,
  specChanged: specDiffers,
};
