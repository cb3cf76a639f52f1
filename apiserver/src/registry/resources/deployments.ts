// apps/v1 Deployment.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { parseIntOrPercent, validateIntOrPercent } from '@skiff/common/apimachinery/int-or-string';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { keepOldStatus, specDiffers, takeStatusOnly } from './shared/status-split.ts';
import { defaultWorkload, validateSelectorUnchanged, validateWorkloadSpec } from './shared/workloads.ts';

const strategyTypes = ['Recreate', 'RollingUpdate'];

function validateStrategy(strategy: any): FieldError[] {
  const out: FieldError[] = [];
  if (!strategy) return out;
  if (!strategyTypes.includes(strategy.type)) out.push(field.notSupported('spec.strategy.type', strategy.type, strategyTypes));
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    out.push(field.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) {
    const ru = strategy.rollingUpdate;
    out.push(...validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    out.push(...validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    if (parseIntOrPercent(ru.maxUnavailable)?.value === 0 && parseIntOrPercent(ru.maxSurge)?.value === 0) {
      out.push(field.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  return out;
}

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  resource: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'scale'],
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'status.selector' },

  defaults(obj) {
    defaultWorkload(obj);
    const spec = obj.spec;
    spec.strategy ??= {};
    spec.strategy.type ??= 'RollingUpdate';
    if (spec.strategy.type === 'RollingUpdate') {
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      spec.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  },

  validate(obj) {
    const out = [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validateWorkloadSpec(obj.spec, 'deployment')];
    const spec = obj.spec ?? {};
    out.push(...validateStrategy(spec.strategy));
    out.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
    if (spec.progressDeadlineSeconds !== undefined) {
      out.push(...validateNonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
      if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
        out.push(field.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
      }
    }
    return out;
  },

  validateUpdate(obj, old) {
    const out = validateSelectorUnchanged(obj, old);
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration']) {
      out.push(...validateNonNegative(obj.status?.[k], `status.${k}`));
    }
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
