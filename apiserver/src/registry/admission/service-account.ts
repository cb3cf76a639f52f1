// The ServiceAccount admission plugin's token volume: unless a pod opts out
// (automountServiceAccountToken: false), it gets a projected `kube-api-access-*` volume with a
// bound token, the cluster CA (ConfigMap kube-root-ca.crt) and its namespace, mounted at
// /var/run/secrets/kubernetes.io/serviceaccount in every container.
import type { KObject } from '../types.ts';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const chars = 'bcdfghjklmnpqrstvwxz2456789';

export function addServiceAccountTokenVolume(pod: KObject): void {
  const spec = pod.spec ?? {};
  if (spec.automountServiceAccountToken === false) return;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const alreadyMounted = (c: any) => (c.volumeMounts ?? []).some((m: any) => m.mountPath === serviceAccountMountPath);
  if (containers.every(alreadyMounted)) return;
  let name = '';
  do {
    name = 'kube-api-access-' + Array.from({ length: 5 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
  } while ((spec.volumes ?? []).some((v: any) => v.name === name));
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
  for (const c of containers) {
    if (alreadyMounted(c)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: serviceAccountMountPath }];
  }
}
