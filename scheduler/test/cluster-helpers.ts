// Helpers for scheduler tests against a real apiserver: Node objects made through the API
// (no kubelet), pods, and polling until the cluster shows what a test expects.
import { readFileSync } from 'node:fs';
import type { ApiserverHandle } from '@skiff/common/testing/index';
import { startComponent } from '@skiff/common/testing/index';
import type { ComponentHandle } from '@skiff/common/testing/index';

export async function api(server: ApiserverHandle, method: string, path: string, body?: object): Promise<any> {
  const r = await server.request(method, path, body ? { body } : {});
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

export async function createNode(
  server: ApiserverHandle,
  name: string,
  o: { cpu?: string; memory?: string; labels?: Record<string, string>; taints?: any[] } = {},
): Promise<void> {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: '110' };
  await api(server, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test node' }] },
  });
}

export async function deleteAllNodes(server: ApiserverHandle): Promise<void> {
  const list = await api(server, 'GET', '/api/v1/nodes');
  await Promise.all(list.items.map((n: any) => server.request('DELETE', `/api/v1/nodes/${n.metadata.name}`)));
}

export async function createNamespace(server: ApiserverHandle, name: string): Promise<void> {
  await api(server, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export async function createPod(
  server: ApiserverHandle,
  ns: string,
  name: string,
  o: { cpu?: string; labels?: Record<string, string>; spec?: Record<string, any>; ports?: any[] } = {},
): Promise<any> {
  return api(server, 'POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: o.labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: o.cpu ? { requests: { cpu: o.cpu } } : {}, ports: o.ports }], ...(o.spec ?? {}) },
  });
}

export async function getPod(server: ApiserverHandle, ns: string, name: string): Promise<any> {
  return api(server, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export const nodeOf = (server: ApiserverHandle, ns: string, name: string, timeoutMs?: number) =>
  waitFor(`${ns}/${name} to be bound`, async () => (await getPod(server, ns, name)).spec.nodeName as string | undefined, timeoutMs);

/** Waits for PodScheduled=False and returns its message. */
export const unschedulableMessage = (server: ApiserverHandle, ns: string, name: string) =>
  waitFor(`${ns}/${name} to be marked unschedulable`, async () => {
    const c = ((await getPod(server, ns, name)).status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled' && x.status === 'False');
    return c?.message as string | undefined;
  });

export function startScheduler(server: ApiserverHandle, extraArgs: string[] = []): Promise<ComponentHandle> {
  let logFile = '';
  return startComponent({
    workspace: 'scheduler',
    args: [`--kubeconfig=${server.kubeconfigPath}`, '--port=0', ...extraArgs],
    env: { SKIFF_LOG_LEVEL: 'info' },
    ready: async () => logFile !== '' || true,
  }).then((h) => {
    logFile = h.logFile;
    return h;
  });
}

export function logOf(h: ComponentHandle): string {
  try {
    return readFileSync(h.logFile, 'utf8');
  } catch {
    return '';
  }
}
