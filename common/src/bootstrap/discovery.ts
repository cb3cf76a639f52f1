// How a joining node gets the cluster CA without trusting the network, as kubeadm's
// token discovery with a CA pin: read kube-public/cluster-info (anonymous), take the CA in
// it, and accept it only if the SHA-256 of its public key matches the pin from the join
// command (`sha256:<hex>`, the same value `kubeadm token create --print-join-command` prints).
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import yaml from 'js-yaml';

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** `sha256:<hex>` of the CA certificate's SubjectPublicKeyInfo. */
export function caHashOf(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The cluster-info ConfigMap data: a kubeconfig with the server and the CA, no user. */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: '', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    contexts: [],
    users: [],
    preferences: {},
  });
}

function getUnverified(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // not verified on purpose: what comes back is checked against the pin before any use
    const req = request(url, { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        else resolve(body);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The CA of the cluster at `server`, checked against `caHash`; throws on a mismatch. */
export async function discoverClusterCa(server: string, caHash: string, timeoutMs = 10_000): Promise<string> {
  if (!/^sha256:[0-9a-f]{64}$/.test(caHash)) throw new Error(`CA hash must look like sha256:<64 hex digits>, got "${caHash}"`);
  const cm = JSON.parse(await getUnverified(new URL(CLUSTER_INFO_PATH, server).href, timeoutMs)) as { data?: Record<string, string> };
  const kubeconfig = cm.data?.kubeconfig;
  if (!kubeconfig) throw new Error('cluster-info has no kubeconfig');
  const doc = yaml.load(kubeconfig) as { clusters?: { cluster?: Record<string, string> }[] };
  const caB64 = doc.clusters?.[0]?.cluster?.['certificate-authority-data'];
  if (!caB64) throw new Error('cluster-info names no CA');
  const caPem = Buffer.from(caB64, 'base64').toString('utf8');
  const got = caHashOf(caPem);
  if (got !== caHash) throw new Error(`the cluster CA does not match the pinned hash: got ${got}, want ${caHash}`);
  return caPem;
}
