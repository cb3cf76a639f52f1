// Writing the kubeconfigs of a node: the bootstrap one (token) and the one TLS bootstrap
// ends with (client certificate). CA embedded, so a kubeconfig is one self-contained file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import yaml from 'js-yaml';

export interface KubeconfigUser {
  token?: string;
  clientCertificate?: string;
  clientKey?: string;
}

export function kubeconfigYaml(o: { server: string; caPem: string; user: KubeconfigUser; userName: string; clusterName?: string }): string {
  const cluster = o.clusterName ?? 'skiff';
  const user: Record<string, string> = {};
  if (o.user.token) user.token = o.user.token;
  if (o.user.clientCertificate) user['client-certificate'] = o.user.clientCertificate;
  if (o.user.clientKey) user['client-key'] = o.user.clientKey;
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') } }],
    users: [{ name: o.userName, user }],
    contexts: [{ name: 'default', context: { cluster, user: o.userName } }],
    'current-context': 'default',
    preferences: {},
  });
}

/** Writes via a temporary file and a rename: a reader never sees half a file. */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}
