// coordination.k8s.io/v1 Lease: node heartbeats and leader election.
import { field } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validateNonNegative } from '../validation/ports.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { normaliseMicroTime } from './shared/micro-time.ts';

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  resource: 'leases',
  singular: 'lease',
  namespaced: true,
  allowCreateOnUpdate: true,

  defaults(obj) {
    normaliseMicroTime(obj, 'spec', 'acquireTime');
    normaliseMicroTime(obj, 'spec', 'renewTime');
  },

  validate(obj) {
    const out = validateMetaFor(obj, true, nameIsDnsSubdomain);
    const spec = obj.spec ?? {};
    if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds !== null && !(spec.leaseDurationSeconds > 0)) {
      out.push(field.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
    }
    out.push(...validateNonNegative(spec.leaseTransitions, 'spec.leaseTransitions'));
    return out;
  },
};
