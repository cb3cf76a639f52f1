// kube-system/extension-apiserver-authentication, as kube-apiserver publishes it: aggregated
// API servers read it to trust this apiserver's front-proxy certificate and its client CA
// (the Role extension-apiserver-authentication-reader lets them). Lists are JSON arrays.
import { readFileSync } from 'node:fs';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { AggregationConfig } from '../config.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
export const authenticationConfigMapName = 'extension-apiserver-authentication';

export function authenticationData(clientCaFile: string, agg: AggregationConfig): Record<string, string> {
  const data: Record<string, string> = {};
  if (clientCaFile) data['client-ca-file'] = readFileSync(clientCaFile, 'utf8');
  if (agg.requestHeaderClientCaFile) {
    data['requestheader-client-ca-file'] = readFileSync(agg.requestHeaderClientCaFile, 'utf8');
    data['requestheader-allowed-names'] = JSON.stringify(agg.requestHeaderAllowedNames);
    data['requestheader-username-headers'] = JSON.stringify(agg.requestHeaderUsernameHeaders);
    data['requestheader-group-headers'] = JSON.stringify(agg.requestHeaderGroupHeaders);
    data['requestheader-extra-headers-prefix'] = JSON.stringify(agg.requestHeaderExtraHeadersPrefix);
  }
  return data;
}

/** Creates the ConfigMap, or puts its data back when it differs. */
export async function publishAuthenticationConfigMap(registry: ApiRegistry, data: Record<string, string>): Promise<void> {
  const store = registry.store('', 'v1', 'configmaps');
  if (!store) return;
  try {
    const cur = await store.get('kube-system', authenticationConfigMapName);
    if (JSON.stringify(cur.data ?? {}) === JSON.stringify(data)) return;
    await store.update('kube-system', authenticationConfigMapName, { ...cur, data }, { user: system, fieldManager: 'kube-apiserver' });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
    await store.create(
      'kube-system',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: authenticationConfigMapName, namespace: 'kube-system' }, data },
      { user: system, fieldManager: 'kube-apiserver' },
    );
  }
}
