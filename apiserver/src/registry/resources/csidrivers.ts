// storage.k8s.io/v1 CSIDriver: what a CSI driver installed on the nodes needs from Kubernetes
// (pkg/registry/storage/csidriver). Skiff ships no CSI driver; the kind is served so that
// tools listing drivers (and `kubectl get csidrivers`) work.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { ResourceDef } from '../types.ts';
import { checkDns1123Subdomain } from '@skiff/common/apimachinery/names';
import { validateImmutable } from '@skiff/common/apimachinery/object-meta';
import { validateMetaFor } from './shared/meta-rules.ts';

const lifecycleModes = ['Ephemeral', 'Persistent'];
const fsGroupPolicies = ['File', 'None', 'ReadWriteOnceWithFSType'];

/** A CSI driver name: a DNS subdomain of at most 63 characters (ValidateCSIDriverName). */
function driverName(name: string): string[] {
  if (name.length > 63) return ['must be no more than 63 characters'];
  return checkDns1123Subdomain(name.toLowerCase());
}

export const csidrivers: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIDriver',
  resource: 'csidrivers',
  singular: 'csidriver',
  namespaced: false,

  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.attachRequired ??= true;
    spec.podInfoOnMount ??= false;
    spec.storageCapacity ??= false;
    spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    spec.volumeLifecycleModes ??= ['Persistent'];
    spec.requiresRepublish ??= false;
    spec.seLinuxMount ??= false;
  },

  validate(obj) {
    const out = validateMetaFor(obj, false, driverName);
    const spec = obj.spec ?? {};
    if (!fsGroupPolicies.includes(spec.fsGroupPolicy)) out.push(field.notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, fsGroupPolicies));
    for (const m of spec.volumeLifecycleModes ?? []) {
      if (!lifecycleModes.includes(m)) out.push(field.notSupported('spec.volumeLifecycleModes', m, lifecycleModes));
    }
    const audiences = new Set<string>();
    (spec.tokenRequests ?? []).forEach((t: any, i: number) => {
      const p = `spec.tokenRequests[${i}]`;
      if (audiences.has(t?.audience)) out.push(field.duplicate(`${p}.audience`, t?.audience));
      audiences.add(t?.audience);
      if (t?.expirationSeconds !== undefined && t.expirationSeconds < 600) {
        out.push(field.invalid(`${p}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
      }
    });
    return out;
  },

  validateUpdate(obj, old) {
    const out: FieldError[] = [];
    out.push(...validateImmutable(obj.spec?.attachRequired, old.spec?.attachRequired, 'spec.attachRequired'));
    out.push(...validateImmutable(obj.spec?.volumeLifecycleModes, old.spec?.volumeLifecycleModes, 'spec.volumeLifecycleModes'));
    return out;
  },
};
