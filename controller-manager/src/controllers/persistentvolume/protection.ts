// The pvc-protection and pv-protection controllers (pkg/controller/volume/pvcprotection,
// pvprotection): a claim being deleted keeps its finalizer while a pod that is not finished
// uses it; a volume being deleted keeps its finalizer while it is Bound.
import { CoreV1Api, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import { keyOf, runController, splitKey, WorkQueue, type Informer, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { errorMessage, isConflict, isNotFound } from '../../lib/api-errors.ts';
import { claimInformer, volumeInformer } from './controller.ts';
import { claimsOfPod } from './claims-of-pod.ts';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';

const podFinished = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

class ProtectionController {
  private readonly core: CoreV1Api;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly pods: Informer<V1Pod>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 30_000 });

  private readonly ctx: ControllerContext;
  private readonly name: string;

  /** `of` chooses the half: claims (pvc-protection) or volumes (pv-protection). */
  constructor(ctx: ControllerContext, of: 'claims' | 'volumes') {
    this.ctx = ctx;
    this.name = of === 'claims' ? 'pvc-protection' : 'pv-protection';
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.claims = claimInformer(ctx);
    this.volumes = volumeInformer(ctx);
    this.pods = ctx.informers.pods();
    const onClaim = (c: V1PersistentVolumeClaim) => {
      if (c.metadata?.deletionTimestamp) this.queue.add(`claim:${keyOf(c)}`);
    };
    const onVolume = (v: V1PersistentVolume) => {
      if (v.metadata?.deletionTimestamp) this.queue.add(`volume:${v.metadata.name}`);
    };
    const onPod = (p: V1Pod) => {
      for (const c of claimsOfPod(p)) this.queue.add(`claim:${p.metadata?.namespace}/${c}`);
    };
    if (of === 'claims') {
      this.claims.on({ add: onClaim, update: onClaim });
      this.pods.on({ update: onPod, delete: onPod });
    } else this.volumes.on({ add: onVolume, update: onVolume });
  }

  run(): () => Promise<void> {
    return runController({
      name: this.name,
      log: this.ctx.log.child({ controller: this.name }),
      queue: this.queue,
      metrics: this.ctx.metrics,
      caches: [this.claims, this.volumes, this.pods],
      workers: 1,
      reconcile: (key) => (key.startsWith('claim:') ? this.syncClaim(key.slice(6)) : this.syncVolume(key.slice(7))),
      isRoutine: isConflict,
      describeError: errorMessage,
    });
  }

  private claimInUse(c: V1PersistentVolumeClaim): boolean {
    return this.pods.list(c.metadata?.namespace).some((p) => !podFinished(p) && claimsOfPod(p).includes(c.metadata?.name ?? ''));
  }

  async syncClaim(key: string): Promise<ReconcileResult> {
    const { namespace, name: claimName } = splitKey(key);
    const c = this.claims.get(claimName, namespace);
    if (!c?.metadata?.deletionTimestamp || !c.metadata.finalizers?.includes(pvcProtectionFinalizer)) return;
    if (this.claimInUse(c)) return;
    const body = structuredClone(c);
    body.metadata!.finalizers = body.metadata!.finalizers!.filter((f) => f !== pvcProtectionFinalizer);
    await this.ignoreGone(this.core.replaceNamespacedPersistentVolumeClaim({ name: claimName, namespace: namespace!, body }));
  }

  async syncVolume(volumeName: string): Promise<ReconcileResult> {
    const v = this.volumes.get(volumeName);
    if (!v?.metadata?.deletionTimestamp || !v.metadata.finalizers?.includes(pvProtectionFinalizer)) return;
    if (v.status?.phase === 'Bound') return;
    const body = structuredClone(v);
    body.metadata!.finalizers = body.metadata!.finalizers!.filter((f) => f !== pvProtectionFinalizer);
    await this.ignoreGone(this.core.replacePersistentVolume({ name: volumeName, body }));
  }

  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const pvcProtection: ControllerDescriptor = { name: 'pvc-protection', start: async (ctx) => new ProtectionController(ctx, 'claims').run() };
export const pvProtection: ControllerDescriptor = { name: 'pv-protection', start: async (ctx) => new ProtectionController(ctx, 'volumes').run() };
