// The workload that runs while components are killed: a Deployment behind a NodePort Service
// rolled every ~30 s, a Job every ~20 s, and ConfigMap creates and deletes through the
// apiservers in turn, each answer recorded in the write ledger.
import { randomBytes } from 'node:crypto';
import { webDeployment } from '../web-workloads.ts';
import type { ApiClient } from './api.ts';
import { json } from './api.ts';
import type { WriteLedger } from './ledger.ts';

export const NS = 'chaos';
export const WEB = 'web';
export const NODE_PORT = 31021;
const LABELS = { app: 'chaos-web' };

interface Condition {
  type: string;
  status: string;
}
export interface DeploymentObject {
  metadata: { name: string; generation?: number };
  spec: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };
}
interface JobObject {
  metadata: { name: string };
  status?: { conditions?: Condition[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function must(what: string, p: Promise<{ status: number; body: string }>, ok: number[]): Promise<string> {
  const a = await p;
  if (!ok.includes(a.status)) throw new Error(`${what}: HTTP ${a.status} ${a.body.slice(0, 300)}`);
  return a.body;
}

/** the namespace, the Deployment (2 replicas) and its NodePort Service; resolves with the Service's ClusterIP once 2 pods are available */
export async function setUp(api: ApiClient, timeoutMs = 180_000): Promise<string> {
  await must('create namespace', api.any('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }), [201, 409]);
  await must(
    'create Deployment',
    api.any('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, webDeployment({ name: WEB, replicas: 2, labels: LABELS })),
    [201],
  );
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: WEB },
    spec: { type: 'NodePort', selector: LABELS, ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
  };
  const created = JSON.parse(await must('create Service', api.any('POST', `/api/v1/namespaces/${NS}/services`, svc), [201])) as { spec: { clusterIP: string } };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = json<DeploymentObject>(await api.any('GET', `/apis/apps/v1/namespaces/${NS}/deployments/${WEB}`));
    if (d && converged(d)) return created.spec.clusterIP;
    if (Date.now() > deadline) throw new Error(`Deployment ${WEB} not available after ${timeoutMs / 1000} s: ${JSON.stringify(d?.status)}`);
    await sleep(1000);
  }
}

/** the rollout is done: the newest template observed, every replica updated and available, no old one left */
export function converged(d: DeploymentObject): boolean {
  const want = d.spec.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === want && s.availableReplicas === want && s.replicas === want;
}

export interface Loop {
  stop(): Promise<void>;
}

/** calls step every intervalMs (after the one before ended) until stopped */
function every(intervalMs: number, step: (i: number) => Promise<void>): Loop {
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const started = Date.now();
      await step(i).catch((e: unknown) => process.stderr.write(`chaos workload: ${(e as Error).message}\n`));
      const rest = intervalMs - (Date.now() - started);
      if (rest > 0 && running) await sleep(rest);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** ConfigMap creates and deletes, two creates to one delete, each through the next apiserver */
export function configMapWriter(api: ApiClient, ledger: WriteLedger, intervalMs = 200): Loop {
  let seq = 0;
  return every(intervalMs, async (i) => {
    const server = api.next();
    const victim = i % 3 === 2 ? ledger.takeDeletable() : undefined;
    if (victim) {
      const a = await api.call(server, 'DELETE', `/api/v1/namespaces/${NS}/configmaps/${victim}`);
      ledger.recordDelete(victim, server, a.status, Date.now());
      return;
    }
    const name = `cm-${seq++}`;
    const content = randomBytes(16).toString('hex');
    const a = await api.call(server, 'POST', `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { value: content },
    });
    ledger.recordCreate(name, content, server, a.status, Date.now());
  });
}

/** what a ConfigMap listing through `server` holds: name to data.value (undefined: the list failed) */
export async function listConfigMaps(api: ApiClient, server: string): Promise<Map<string, string> | undefined> {
  const a = await api.call(server, 'GET', `/api/v1/namespaces/${NS}/configmaps`);
  const list = a.status === 200 ? json<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>(a) : undefined;
  if (!list) return undefined;
  return new Map(list.items.filter((c) => c.metadata.name.startsWith('cm-')).map((c) => [c.metadata.name, c.data?.value ?? '']));
}

/** a new pod template every intervalMs (an annotation), so the Deployment is always rolling */
export function roller(api: ApiClient, counts: { rolls: number; failed: number }, intervalMs = 30_000): Loop {
  return every(intervalMs, async (i) => {
    if (i === 0) return; // the first roll one interval after the start
    const a = await api.any(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/${WEB}`,
      { spec: { template: { metadata: { annotations: { 'chaos.skiff.dev/roll': String(i) } } } } },
      'application/merge-patch+json',
    );
    if (a.status === 200) counts.rolls++;
    else counts.failed++;
  });
}

/** a Job every intervalMs; the names of those the apiserver acknowledged go to `created` */
export function jobStream(api: ApiClient, created: string[], intervalMs = 20_000): Loop {
  return every(intervalMs, async (i) => {
    const name = `job-${i}`;
    const a = await api.any('POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: {
        backoffLimit: 4,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox', command: ['sh', '-c', `echo chaos job ${i}`] }] },
        },
      },
    });
    if (a.status === 201) created.push(name);
  });
}

/** every acknowledged Job's outcome, waiting up to timeoutMs for those still running */
export async function jobOutcomes(
  api: ApiClient,
  created: string[],
  timeoutMs = 120_000,
): Promise<{ completed: number; failed: number; unfinished: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = json<{ items: JobObject[] }>(await api.any('GET', `/apis/batch/v1/namespaces/${NS}/jobs`));
    const state = new Map((list?.items ?? []).map((j) => [j.metadata.name, j.status?.conditions ?? []]));
    const has = (name: string, type: string) => state.get(name)?.some((c) => c.type === type && c.status === 'True') ?? false;
    const completed = created.filter((n) => has(n, 'Complete')).length;
    const failed = created.filter((n) => has(n, 'Failed')).length;
    const unfinished = created.filter((n) => !has(n, 'Complete') && !has(n, 'Failed'));
    if ((list && unfinished.length === 0) || Date.now() > deadline) return { completed, failed, unfinished };
    await sleep(2000);
  }
}

/** the Deployments of the namespace */
export async function deployments(api: ApiClient): Promise<DeploymentObject[] | undefined> {
  return json<{ items: DeploymentObject[] }>(await api.any('GET', `/apis/apps/v1/namespaces/${NS}/deployments`))?.items;
}
