// DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault): a claim created
// without spec.storageClassName gets the class annotated as the default. A claim that states a
// class, even "" (no class), keeps it. With several defaults the newest wins, as upstream.
import { errors } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import type { AdmissionPlugin, AdmissionServices } from '../interface.ts';

const defaultAnnotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
const betaClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

export function isDefaultClass(sc: KObject): boolean {
  const ann = sc.metadata?.annotations ?? {};
  return defaultAnnotations.some((a) => ann[a] === 'true');
}

/** The default StorageClass: the newest of those annotated, ties broken by name. */
export async function defaultStorageClass(services: AdmissionServices): Promise<KObject | undefined> {
  const store = services.registry.store('storage.k8s.io', 'v1', 'storageclasses');
  if (!store) throw errors.internal('the DefaultStorageClass admission plugin needs the storageclasses resource');
  const { items } = await store.list(undefined, { resourceVersion: '0' });
  const defaults = items.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    return tb - ta || String(a.metadata.name).localeCompare(String(b.metadata.name));
  });
  return defaults[0];
}

export const defaultStorageClassPlugin: AdmissionPlugin = {
  name: 'DefaultStorageClass',
  operations: ['CREATE'],

  async admit(a, services) {
    if (a.group !== '' || a.resource !== 'persistentvolumeclaims' || a.subresource || !a.object) return;
    const pvc = a.object;
    const spec = (pvc.spec ??= {});
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    if (pvc.metadata?.annotations?.[betaClassAnnotation] !== undefined) return;
    const def = await defaultStorageClass(services);
    if (def) spec.storageClassName = def.metadata.name;
  },
};
