// scheduling.k8s.io/v1 PriorityClass, with the two built-in classes the server creates.
import { field } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateMetaFor } from './shared/meta-rules.ts';
import { builtinPriorities } from './pods.ts';

/** Above this, priorities are for the system (HighestUserDefinablePriority). */
const highestUserPriority = 1000000000;
const preemptionPolicies = ['Never', 'PreemptLowerPriority'];

export const priorityclasses: ResourceDef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  resource: 'priorityclasses',
  singular: 'priorityclass',
  shortNames: ['pc'],
  namespaced: false,

  defaults(obj) {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, nameIsDnsSubdomain);
    const name = obj.metadata.name ?? '';
    const builtin = builtinPriorities[name];
    if (builtin !== undefined) {
      if (obj.value !== builtin) out.push(field.forbidden('value', `value of ${name} must be ${builtin}`));
    } else if (name.startsWith('system-')) {
      out.push(field.invalid('metadata.name', name, "priority class names with 'system-' prefix are reserved"));
    }
    if (typeof obj.value !== 'number' || !Number.isInteger(obj.value)) out.push(field.required('value'));
    else if (builtin === undefined && obj.value > highestUserPriority) {
      out.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserPriority}`));
    }
    if (!preemptionPolicies.includes(obj.preemptionPolicy)) out.push(field.notSupported('preemptionPolicy', obj.preemptionPolicy, preemptionPolicies));
    return out;
  },

  validateUpdate(obj, old) {
    const out = [];
    if (obj.value !== old.value) out.push(field.forbidden('value', 'may not be changed in an update.'));
    if (obj.preemptionPolicy !== old.preemptionPolicy) out.push(field.invalid('preemptionPolicy', obj.preemptionPolicy, 'field is immutable'));
    return out;
  },
};

export const builtinPriorityClasses: KObject[] = Object.entries(builtinPriorities).map(([name, value]) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  globalDefault: false,
  preemptionPolicy: 'PreemptLowerPriority',
  description:
    name === 'system-node-critical'
      ? 'Used for system critical pods that must not be moved from their current node.'
      : 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
}));
