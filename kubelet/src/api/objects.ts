// The ConfigMaps and Secrets a pod refers to, read from the apiserver on demand (a pod's
// volumes are refreshed every sync, so updates reach them without a watch per object).
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ClaimLookup } from '../volumes/persistent-claims.ts';
import { isNotFound, type ApiClients } from './client.ts';

export interface PodObjectSource extends ClaimLookup {
  configMap(namespace: string, name: string): Promise<V1ConfigMap | null>;
  secret(namespace: string, name: string): Promise<V1Secret | null>;
  /** a token bound to the pod, from the TokenRequest API (projected serviceAccountToken sources) */
  serviceAccountToken(req: {
    namespace: string;
    serviceAccount: string;
    podName: string;
    podUid: string;
    expirationSeconds: number;
    audience?: string;
  }): Promise<string>;
}

export function apiObjectSource(api: ApiClients): PodObjectSource {
  const orNull = async <T>(read: Promise<T>): Promise<T | null> => {
    try {
      return await read;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };
  // pod syncs run often: a token is reused until 80% of its lifetime is gone, as the kubelet does
  const tokens = new Map<string, { token: string; refreshAt: number }>();
  return {
    configMap: (namespace, name) => orNull(api.core.readNamespacedConfigMap({ name, namespace })),
    secret: (namespace, name) => orNull(api.core.readNamespacedSecret({ name, namespace })),
    persistentVolumeClaim: (namespace, name) => orNull(api.core.readNamespacedPersistentVolumeClaim({ name, namespace })),
    persistentVolume: (name) => orNull(api.core.readPersistentVolume({ name })),
    async serviceAccountToken(r) {
      const key = `${r.podUid}/${r.serviceAccount}/${r.audience ?? ''}/${r.expirationSeconds}`;
      const cached = tokens.get(key);
      if (cached && cached.refreshAt > Date.now()) return cached.token;
      const res = await api.core.createNamespacedServiceAccountToken({
        name: r.serviceAccount,
        namespace: r.namespace,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences: r.audience ? [r.audience] : [],
            expirationSeconds: r.expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: r.podName, uid: r.podUid },
          },
        },
      });
      const token = res.status?.token;
      if (!token) throw new Error(`TokenRequest for ${r.namespace}/${r.serviceAccount} returned no token`);
      const expires = res.status?.expirationTimestamp ? new Date(res.status.expirationTimestamp).getTime() : Date.now() + r.expirationSeconds * 1000;
      tokens.set(key, { token, refreshAt: Date.now() + 0.8 * (expires - Date.now()) });
      return token;
    },
  };
}

/** String data of a ConfigMap (data and binaryData) or a Secret (base64 data, stringData). */
export function configMapEntries(cm: V1ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

export function secretEntries(secret: V1Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = Buffer.from(v);
  return out;
}
