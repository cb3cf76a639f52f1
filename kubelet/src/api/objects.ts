// The ConfigMaps and Secrets a pod refers to, read from the apiserver on demand (a pod's
// volumes are refreshed every sync, so updates reach them without a watch per object).
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { isNotFound, type ApiClients } from './client.ts';

export interface PodObjectSource {
  configMap(namespace: string, name: string): Promise<V1ConfigMap | null>;
  secret(namespace: string, name: string): Promise<V1Secret | null>;
}

export function apiObjectSource(api: ApiClients): PodObjectSource {
  const orNull = async <T>(read: Promise<T>): Promise<T | null> => {
    try { return await read; } catch (e) { if (isNotFound(e)) return null; throw e; }
  };
  return {
    configMap: (namespace, name) => orNull(api.core.readNamespacedConfigMap({ name, namespace })),
    secret: (namespace, name) => orNull(api.core.readNamespacedSecret({ name, namespace })),
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
