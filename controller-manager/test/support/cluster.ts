// Test plumbing shared by the acceptance suites: an in-process controller-manager and
// fake kubelet against the suite's apiserver, and small polling helpers.
import { AppsV1Api, CoreV1Api, KubeConfig, type CoreV1Event, type V1Deployment, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import { startControllerManager, type ControllerManagerHandle, type StartOptions } from '../../src/manager.ts';
import { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from './fake-kubelet.ts';

export function kubeConfigFrom(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function startTestManager(kubeconfigPath: string, opts: StartOptions = {}): Promise<ControllerManagerHandle> {
  return startControllerManager({ kubeConfig: kubeConfigFrom(kubeconfigPath), port: -1, leaderElect: false, ...opts });
}

export function startTestKubelet(kubeconfigPath: string, opts: FakeKubeletOptions = {}): Promise<FakeKubelet> {
  return startFakeKubelet(kubeConfigFrom(kubeconfigPath), opts);
}

/** Polls `probe` until it returns a value other than undefined/false; throws the last state on timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class ClusterView {
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  constructor(kubeconfigPath: string) {
    const kc = kubeConfigFrom(kubeconfigPath);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }
  deployment(namespace: string, name: string): Promise<V1Deployment> {
    return this.apps.readNamespacedDeployment({ namespace, name });
  }
  async replicaSets(namespace: string, labelSelector?: string): Promise<V1ReplicaSet[]> {
    return (await this.apps.listNamespacedReplicaSet({ namespace, labelSelector })).items;
  }
  /** Pods not being deleted. */
  async pods(namespace: string, labelSelector?: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => !p.metadata?.deletionTimestamp);
  }
  async allPods(namespace: string, labelSelector?: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
  }
  /** core/v1 Events about one object, found as `kubectl describe` finds them. */
  async events(namespace: string, kind: string, name: string, reason?: string): Promise<CoreV1Event[]> {
    const fieldSelector = `involvedObject.kind=${kind},involvedObject.name=${name}${reason ? `,reason=${reason}` : ''}`;
    return (await this.core.listNamespacedEvent({ namespace, fieldSelector })).items;
  }
}

export function deploymentManifest(
  name: string,
  o: {
    replicas?: number;
    image?: string;
    strategy?: string;
    maxSurge?: number | string;
    maxUnavailable?: number | string;
    progressDeadlineSeconds?: number;
    revisionHistoryLimit?: number;
  } = {},
): string {
  const strategy =
    o.strategy === 'Recreate'
      ? { type: 'Recreate' }
      : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: o.maxUnavailable ?? '25%' } };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      strategy,
      ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: o.image ?? 'registry.local/web:1' }] } },
    },
  });
}

export function isReadyPod(p: V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
