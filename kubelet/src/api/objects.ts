// The ConfigMaps and Secrets a pod refers to, read from the apiserver on demand (a pod's
// volumes are refreshed every sync, so updates reach them without a watch per object).
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { isNotFound, type RestClient } from './rest.ts';

export interface PodObjectSource {
  configMap(namespace: string, name: string): Promise<V1ConfigMap | null>;
  secret(namespace: string, name: string): Promise<V1Secret | null>;
}

export function apiObjectSource(rest: RestClient): PodObjectSource {
  const get = async <T>(path: string): Promise<T | null> => {
    try { return await rest.get<T>(path); } catch (e) { if (isNotFound(e)) return null; throw e; }
  };
  return {
    configMap: (ns, name) => get<V1ConfigMap>(`/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(name)}`),
    secret: (ns, name) => get<V1Secret>(`/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(name)}`),
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
