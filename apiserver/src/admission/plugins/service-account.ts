// ServiceAccount: a pod runs as spec.serviceAccountName (default "default"), and unless it opts
// out (automountServiceAccountToken: false) it gets a projected `kube-api-access-*` volume with
// a bound token, the cluster CA (ConfigMap kube-root-ca.crt) and its namespace, mounted at
// /var/run/secrets/kubernetes.io/serviceaccount in every container. The volume is added only
// when this apiserver can issue tokens (--service-account-signing-key-file). Mirror pods (static
// pods the kubelet reports) are left alone, as upstream does.
import type { KObject } from '../../registry/types.ts';
import type { AdmissionPlugin } from '../interface.ts';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';
const chars = 'bcdfghjklmnpqrstvwxz2456789';

export function addServiceAccountTokenVolume(pod: KObject): void {
  const spec = pod.spec ?? {};
  if (spec.automountServiceAccountToken === false) return;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const alreadyMounted = (c: any) => (c.volumeMounts ?? []).some((m: any) => m.mountPath === serviceAccountMountPath);
  if (containers.every(alreadyMounted)) return;
  let name = '';
  do {
    name = `kube-api-access-${Array.from({ length: 5 }, () => chars[Math.floor(Math.random() * chars.length)]).join('')}`;
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

export const serviceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  operations: ['CREATE'],

  admit(a, services) {
    if (a.group !== '' || a.resource !== 'pods' || a.subresource || !a.object) return;
    const pod = a.object;
    if (pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined) return;
    const spec = (pod.spec ??= {});
    spec.serviceAccountName ||= spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
    if (services.registry.services.config?.serviceAccountTokenVolumes) addServiceAccountTokenVolume(pod);
  },
};
