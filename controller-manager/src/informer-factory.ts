// One Informer per resource path, shared by every controller that asks for it, so that the
// process keeps a single list+watch (and a single cache) per resource.
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { Informer, type Logger } from '@skiff/common';

export class SharedInformerFactory {
  private readonly kubeConfig: KubeConfig;
  private readonly log: Logger;
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  /** how many informerFor calls asked for each path and have not released it */
  private readonly users = new Map<string, number>();
  private started = false;

  constructor(kubeConfig: KubeConfig, log: Logger) {
    this.kubeConfig = kubeConfig;
    this.log = log;
  }

  /** The informer for `path` (e.g. /api/v1/pods), created on first use. */
  informerFor<T extends KubernetesObject>(path: string, list: () => Promise<KubernetesListObject<T>>): Informer<T> {
    let inf = this.informers.get(path);
    if (!inf) {
      inf = new Informer<T>({ kubeConfig: this.kubeConfig, path, list, log: this.log.child({ informer: path }) }) as unknown as Informer<KubernetesObject>;
      this.informers.set(path, inf);
      if (this.started) void inf.start();
    }
    this.users.set(path, (this.users.get(path) ?? 0) + 1);
    return inf as unknown as Informer<T>;
  }

  /**
   * One user no longer wants `path` (its resource left discovery): the last one out stops and
   * forgets the informer, so a deleted CRD's collection is not re-listed forever.
   */
  release(path: string): void {
    const left = (this.users.get(path) ?? 0) - 1;
    if (left > 0) {
      this.users.set(path, left);
      return;
    }
    this.users.delete(path);
    this.informers.get(path)?.stop();
    this.informers.delete(path);
  }

  pods(): Informer<V1Pod> {
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    return this.informerFor('/api/v1/pods', () => core.listPodForAllNamespaces());
  }

  replicaSets(): Informer<V1ReplicaSet> {
    const apps = this.kubeConfig.makeApiClient(AppsV1Api);
    return this.informerFor('/apis/apps/v1/replicasets', () => apps.listReplicaSetForAllNamespaces());
  }

  deployments(): Informer<V1Deployment> {
    const apps = this.kubeConfig.makeApiClient(AppsV1Api);
    return this.informerFor('/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces());
  }

  /** Starts every informer asked for so far (later ones start on creation). */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) void inf.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
    this.started = false;
  }
}
