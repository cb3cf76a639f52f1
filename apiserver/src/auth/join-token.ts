// `make token`: a new bootstrap token Secret, the public cluster-info ConfigMap a joining
// node takes the CA from, and the join command to run on a worker.
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { caHashOf, clusterInfoKubeconfig } from '@skiff/common/bootstrap/discovery';
import { callJson, callText, HttpStatusError } from '@skiff/common/bootstrap/http';
import { bootstrapTokenSecret, generateBootstrapToken } from './bootstrap-token.ts';
export { parseDurationSeconds as parseTtl } from '../duration.ts';

export interface JoinTokenOptions {
  /** the address workers reach the apiserver at (default: the address the apiserver advertises) */
  server?: string;
  ttlSeconds: number;
  extraGroups: string[];
  description?: string;
}

export interface JoinToken {
  token: string;
  server: string;
  caHash: string;
  expiration: Date;
  command: string;
  /** the one-line install for a machine without a clone (when the apiserver serves a release) */
  installCommand?: string;
}

export function joinCommand(server: string, token: string, caHash: string): string {
  return `make join SERVER=${server} TOKEN=${token} CA_HASH=${caHash}`;
}

/** Where the apiserver serves make dist's files (apiserver --dist-dir; RBAC system:skiff-dist-reader). */
export const DIST_PATH = '/skiff/dist/';

/**
 * The one command that installs a worker on a machine without a clone (k3s' style): install.sh
 * from the control plane, checked against its sha256 here (so -k is safe for it), then run; it
 * pins the CA by --ca-hash, downloads the tarball with that CA and checks it against SHA256SUMS.
 */
export function installCommand(server: string, token: string, caHash: string, installSha256: string): string {
  const url = `${server.replace(/\/+$/, '')}${DIST_PATH}install.sh`;
  const file = '/tmp/skiff-install.sh';
  return (
    `curl -fsSk -H 'Authorization: Bearer ${token}' ${url} -o ${file}` +
    ` && echo '${installSha256}  ${file}' | sha256sum -c --quiet` +
    ` && bash ${file} agent --server ${server} --token ${token} --ca-hash ${caHash}`
  );
}

/** The sha256 of the install.sh the apiserver serves (from its SHA256SUMS); undefined when it serves no release. */
export async function servedInstallSha256(kc: KubeConfig): Promise<string | undefined> {
  let sums: string;
  try {
    sums = await callText(kc, 'GET', `${DIST_PATH}SHA256SUMS`);
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) return undefined;
    throw e;
  }
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *]install\.sh$/.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

async function upsertClusterInfo(kc: KubeConfig, server: string, caPem: string): Promise<void> {
  const path = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig: clusterInfoKubeconfig(server, caPem) },
  };
  try {
    await callJson(kc, 'PUT', path, body);
  } catch (e) {
    if (!(e instanceof HttpStatusError && e.status === 404)) throw e;
    await callJson(kc, 'POST', '/api/v1/namespaces/kube-public/configmaps', body);
  }
}

/**
 * Where workers reach the apiserver: the address and port it advertises in the `kubernetes`
 * Endpoints (the kubeconfig's server is often 127.0.0.1, useless on another machine).
 */
async function advertisedServer(kc: KubeConfig, fallback: string): Promise<string> {
  try {
    const ep = await callJson<{ subsets?: { addresses?: { ip: string }[]; ports?: { port: number }[] }[] }>(
      kc,
      'GET',
      '/api/v1/namespaces/default/endpoints/kubernetes',
    );
    const ip = ep.subsets?.[0]?.addresses?.[0]?.ip;
    const port = ep.subsets?.[0]?.ports?.[0]?.port;
    return ip && port ? `https://${ip}:${port}` : fallback;
  } catch {
    return fallback;
  }
}

export async function createJoinToken(kc: KubeConfig, o: JoinTokenOptions): Promise<JoinToken> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : undefined;
  if (!caPem) throw new Error('the kubeconfig must embed the cluster CA (certificate-authority-data)');
  const server = o.server || (await advertisedServer(kc, cluster.server));
  const token = generateBootstrapToken(randomBytes);
  const expiration = new Date(Date.now() + o.ttlSeconds * 1000);
  await callJson(
    kc,
    'POST',
    '/api/v1/namespaces/kube-system/secrets',
    bootstrapTokenSecret(token, { expiration, extraGroups: o.extraGroups, description: o.description ?? 'made by make token' }),
  );
  await upsertClusterInfo(kc, server, caPem);
  const text = `${token.id}.${token.secret}`;
  const caHash = caHashOf(caPem);
  const installSha256 = await servedInstallSha256(kc);
  return {
    token: text,
    server,
    caHash,
    expiration,
    command: joinCommand(server, text, caHash),
    installCommand: installSha256 ? installCommand(server, text, caHash, installSha256) : undefined,
  };
}
