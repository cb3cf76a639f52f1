// Every Skiff component talks to the apiserver through the official client.
import { KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from './connection-reuse.ts';

/** --kubeconfig, else $KUBECONFIG, else ~/.kube/config; API calls share kept-alive connections. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  const file = path || process.env.KUBECONFIG;
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return reuseConnections(kc);
}

/** namespace/name, or name for cluster-scoped objects: the workqueue key format. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
