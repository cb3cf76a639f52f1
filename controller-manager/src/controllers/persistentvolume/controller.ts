// The PersistentVolume binder (upstream pkg/controller/volume/persistentvolume): binds claims
// to volumes both ways (claim.spec.volumeName <-> volume.spec.claimRef, with the
// bind-completed / bound-by-controller annotations), keeps both phases, hands claims without a
// volume to their class's provisioner, and reclaims volumes whose claim is gone (Retain:
// Released; Delete: the volume goes, a provisioned one through its provisioner).
import { CoreV1Api, StorageV1Api, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1Pod, type V1StorageClass } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import type { ControllerContext } from '../../controller-context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import {
  annBetaStorageProvisioner,
  annBindCompleted,
  annBoundByController,
  annProvisionedBy,
  annSelectedNode,
  annStorageProvisioner,
  classOfClaim,
  claimRefMatches,
  findMatchingVolume,
  unsatisfied,
} from './matching.ts';
import { claimsOfPod } from './claims-of-pod.ts';

export const name = 'persistentvolume-binder';

/** Unbound claims are looked at again this often, as upstream's periodic resync (15 s). */
const resyncMs = 15_000;

const claimKey = (c: V1PersistentVolumeClaim) => `claim:${keyOf(c)}`;
const volumeKey = (v: V1PersistentVolume | string) => `volume:${typeof v === 'string' ? v : v.metadata?.name}`;

export function volumeInformer(ctx: ControllerContext): Informer<V1PersistentVolume> {
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  return ctx.informers.informerFor('/api/v1/persistentvolumes', () => core.listPersistentVolume());
}
export function claimInformer(ctx: ControllerContext): Informer<V1PersistentVolumeClaim> {
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  return ctx.informers.informerFor('/api/v1/persistentvolumeclaims', () => core.listPersistentVolumeClaimForAllNamespaces());
}
export function classInformer(ctx: ControllerContext): Informer<V1StorageClass> {
  const storage = ctx.kubeConfig.makeApiClient(StorageV1Api);
  return ctx.informers.informerFor('/apis/storage.k8s.io/v1/storageclasses', () => storage.listStorageClass());
}

export class PersistentVolumeController {
  private readonly core: CoreV1Api;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly classes: Informer<V1StorageClass>;
  private readonly pods: Informer<V1Pod>;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  private readonly ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.volumes = volumeInformer(ctx);
    this.claims = claimInformer(ctx);
    this.classes = classInformer(ctx);
    this.pods = ctx.informers.pods();
    this.events = newEventRecorder(ctx, 'persistentvolume-controller');
    // a scheduled pod is the first consumer a WaitForFirstConsumer claim waits for
    const onPod = (p: V1Pod) => {
      if (!p.spec?.nodeName) return;
      for (const c of claimsOfPod(p)) this.queue.add(`claim:${p.metadata?.namespace}/${c}`);
    };
    this.pods.on({ add: onPod, update: onPod });
    const onVolume = (v: V1PersistentVolume) => {
      this.queue.add(volumeKey(v));
      const ref = v.spec?.claimRef;
      if (ref?.name && ref.namespace) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
    };
    const onClaim = (c: V1PersistentVolumeClaim) => {
      this.queue.add(claimKey(c));
      if (c.spec?.volumeName) this.queue.add(volumeKey(c.spec.volumeName));
    };
    this.volumes.on({ add: onVolume, update: onVolume, delete: onVolume });
    this.claims.on({ add: onClaim, update: onClaim, delete: onClaim });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name,
      queue: this.queue,
      caches: [this.volumes, this.claims, this.classes, this.pods],
      workers: 1, // one worker, as upstream: two binds racing for one volume is what it avoids
      reconcile: (key) => (key.startsWith('claim:') ? this.syncClaim(key.slice(6)) : this.syncVolume(key.slice(7))),
      events: this.events,
    });
  }

  private claimEvent(c: V1PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.event(eventRef(c, 'v1', 'PersistentVolumeClaim'), type, reason, message);
  }
  private volumeEvent(v: V1PersistentVolume, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.event(eventRef(v, 'v1', 'PersistentVolume'), type, reason, message);
  }

  // ---- claims ----

  async syncClaim(key: string): Promise<ReconcileResult> {
    const { namespace, name: claimName } = splitKey(key);
    const cached = this.claims.get(claimName, namespace);
    if (!cached) return;
    const claim = structuredClone(cached);
    if (!claim.spec?.volumeName) return this.syncUnboundClaim(claim);
    return this.syncBoundClaim(claim);
  }

  private async syncUnboundClaim(claim: V1PersistentVolumeClaim): Promise<ReconcileResult> {
    const className = classOfClaim(claim);
    const cls = className ? this.classes.get(className) : undefined;
    const volume = findMatchingVolume(claim, this.volumes.list());
    if (volume) {
      await this.bind(structuredClone(volume), claim);
      return;
    }
    const waitForConsumer = cls?.volumeBindingMode === 'WaitForFirstConsumer';
    if (waitForConsumer && !claim.metadata?.annotations?.[annSelectedNode]) {
      const node = this.firstConsumerNode(claim);
      if (node) {
        (claim.metadata!.annotations ??= {})[annSelectedNode] = node;
        await this.core.replaceNamespacedPersistentVolumeClaim({ name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: claim });
        return;
      }
      this.claimEvent(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return { requeueAfterMs: resyncMs };
    }
    if (!className) {
      this.claimEvent(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    } else if (!cls) {
      this.claimEvent(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    } else {
      await this.handOverToProvisioner(claim, cls);
    }
    return { requeueAfterMs: resyncMs };
  }

  /**
   * The node of a scheduled pod using the claim. Upstream, the scheduler's VolumeBinding plugin
   * writes selected-node before it binds the pod; Skiff's scheduler has no such plugin yet, so
   * the binder takes the node the pod was placed on (the claim then follows its first pod).
   */
  private firstConsumerNode(claim: V1PersistentVolumeClaim): string | undefined {
    const pod = this.pods
      .list(claim.metadata?.namespace)
      .find((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp && claimsOfPod(p).includes(claim.metadata?.name ?? ''));
    return pod?.spec?.nodeName;
  }

  /** The claim names its provisioner in annotations; the provisioner (another controller) creates the volume. */
  private async handOverToProvisioner(claim: V1PersistentVolumeClaim, cls: V1StorageClass): Promise<void> {
    const ann = (claim.metadata!.annotations ??= {});
    if (ann[annStorageProvisioner] !== cls.provisioner) {
      ann[annStorageProvisioner] = cls.provisioner;
      ann[annBetaStorageProvisioner] = cls.provisioner;
      await this.core.replaceNamespacedPersistentVolumeClaim({ name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: claim });
    }
    this.claimEvent(
      claim,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  }

  private async syncBoundClaim(claim: V1PersistentVolumeClaim): Promise<ReconcileResult> {
    const volumeName = claim.spec!.volumeName!;
    const cached = this.volumes.get(volumeName);
    if (!cached) {
      if (claim.status?.phase === 'Bound') {
        await this.setClaimPhase(claim, 'Lost');
        this.claimEvent(claim, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      } else {
        this.claimEvent(claim, 'Normal', 'FailedBinding', `volume "${volumeName}" not found`);
        return { requeueAfterMs: resyncMs };
      }
      return;
    }
    const volume = structuredClone(cached);
    if (!volume.spec?.claimRef) {
      // the user named the volume: bind it if it can serve the claim
      const why = unsatisfied(volume, claim);
      if (why) {
        this.claimEvent(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${why}`);
        return { requeueAfterMs: resyncMs };
      }
      await this.bind(volume, claim);
      return;
    }
    if (claimRefMatches(volume, claim)) {
      if (!volume.spec.claimRef.uid) {
        await this.bind(volume, claim);
        return;
      }
      await this.finishClaimBinding(claim, volume);
      return;
    }
    // the volume belongs to another claim: this one lost it
    if (claim.status?.phase === 'Bound') {
      await this.setClaimPhase(claim, 'Lost');
      this.claimEvent(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    } else {
      this.claimEvent(claim, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
    }
  }

  /** Volume first (so no other claim takes it), then the claim (bindVolumeToClaim, bindClaimToVolume). */
  private async bind(volume: V1PersistentVolume, claim: V1PersistentVolumeClaim): Promise<void> {
    const ref = volume.spec!.claimRef;
    if (!ref?.uid || ref.uid !== claim.metadata?.uid) {
      const byController = !ref;
      volume.spec!.claimRef = {
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata!.namespace,
        name: claim.metadata!.name,
        uid: claim.metadata!.uid,
        apiVersion: 'v1',
        resourceVersion: claim.metadata!.resourceVersion,
      };
      if (byController) (volume.metadata!.annotations ??= {})[annBoundByController] = 'yes';
      volume = await this.core.replacePersistentVolume({ name: volume.metadata!.name!, body: volume });
    }
    if (volume.status?.phase !== 'Bound') {
      volume.status = { ...volume.status, phase: 'Bound' };
      volume = await this.core.replacePersistentVolumeStatus({ name: volume.metadata!.name!, body: volume });
    }
    await this.finishClaimBinding(claim, volume);
    this.ctx.log.info('bound claim to volume', { claim: keyOf(claim), volume: volume.metadata?.name });
  }

  private async finishClaimBinding(claim: V1PersistentVolumeClaim, volume: V1PersistentVolume): Promise<void> {
    const ann = (claim.metadata!.annotations ??= {});
    if (claim.spec!.volumeName !== volume.metadata!.name || ann[annBindCompleted] !== 'yes') {
      if (claim.spec!.volumeName !== volume.metadata!.name) ann[annBoundByController] = 'yes';
      claim.spec!.volumeName = volume.metadata!.name;
      ann[annBindCompleted] = 'yes';
      claim = await this.core.replaceNamespacedPersistentVolumeClaim({ name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: claim });
    }
    const s = claim.status ?? {};
    const capacity = volume.spec?.capacity ?? {};
    if (
      s.phase !== 'Bound' ||
      JSON.stringify(s.capacity ?? {}) !== JSON.stringify(capacity) ||
      JSON.stringify(s.accessModes ?? []) !== JSON.stringify(volume.spec?.accessModes ?? [])
    ) {
      claim.status = { ...s, phase: 'Bound', capacity, accessModes: volume.spec?.accessModes };
      await this.core.replaceNamespacedPersistentVolumeClaimStatus({ name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: claim });
    }
  }

  private async setClaimPhase(claim: V1PersistentVolumeClaim, phase: string): Promise<void> {
    claim.status = { ...claim.status, phase };
    await this.core.replaceNamespacedPersistentVolumeClaimStatus({ name: claim.metadata!.name!, namespace: claim.metadata!.namespace!, body: claim });
  }

  // ---- volumes ----

  async syncVolume(volumeName: string): Promise<ReconcileResult> {
    const cached = this.volumes.get(volumeName);
    if (!cached) return;
    const volume = structuredClone(cached);
    const ref = volume.spec?.claimRef;
    if (!ref) {
      if (volume.status?.phase !== 'Available' && !volume.metadata?.deletionTimestamp) await this.setVolumePhase(volume, 'Available');
      return;
    }
    const claim = ref.name && ref.namespace ? this.claims.get(ref.name, ref.namespace) : undefined;
    if (!ref.uid) {
      // pre-bound by the user to a claim that may not exist yet
      if (volume.status?.phase !== 'Available') await this.setVolumePhase(volume, 'Available');
      return;
    }
    if (claim && claim.metadata?.uid === ref.uid) {
      if (!claim.spec?.volumeName) {
        // the claim side is not written yet (or was undone): the claim's sync finishes it
        this.queue.add(claimKey(claim));
        return;
      }
      if (claim.spec.volumeName === volume.metadata?.name) {
        if (volume.status?.phase !== 'Bound') await this.setVolumePhase(volume, 'Bound');
        return;
      }
      // the claim went to another volume: give this one back if we took it
      if (volume.metadata?.annotations?.[annBoundByController] === 'yes') await this.unbind(volume);
      return;
    }
    // the claim is gone
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
      volume.status = { ...volume.status, phase: 'Released' };
      await this.core.replacePersistentVolumeStatus({ name: volumeName, body: volume });
      return; // the status write brings the volume back for its reclaim
    }
    if (volume.status?.phase === 'Released') await this.reclaim(volume);
  }

  private async setVolumePhase(volume: V1PersistentVolume, phase: string): Promise<void> {
    volume.status = { ...volume.status, phase };
    await this.core.replacePersistentVolumeStatus({ name: volume.metadata!.name!, body: volume });
  }

  private async unbind(volume: V1PersistentVolume): Promise<void> {
    delete volume.spec!.claimRef;
    delete volume.metadata!.annotations?.[annBoundByController];
    const written = await this.core.replacePersistentVolume({ name: volume.metadata!.name!, body: volume });
    await this.setVolumePhase(written, 'Available');
  }

  /** reclaimVolume: Retain keeps it Released; Delete deletes the object (a provisioned one's data goes with its provisioner). */
  private async reclaim(volume: V1PersistentVolume): Promise<void> {
    const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain' || volume.metadata?.deletionTimestamp) return;
    if (policy === 'Delete') {
      const provisioner = volume.metadata?.annotations?.[annProvisionedBy];
      if (!provisioner) {
        const message = `error getting deleter volume plugin for volume "${volume.metadata?.name}": no deletable volume plugin matched`;
        this.volumeEvent(volume, 'Warning', 'VolumeFailedDelete', message);
        volume.status = { ...volume.status, phase: 'Failed', message };
        await this.core.replacePersistentVolumeStatus({ name: volume.metadata!.name!, body: volume });
        return;
      }
      // the object goes; the data of a skiff.io/local-path volume is removed by the kubelet of
      // its node, which alone reaches that disk
      try {
        await this.core.deletePersistentVolume({ name: volume.metadata!.name! });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    // Recycle is deprecated upstream and not offered here
    const message = 'Recycle is not supported: use Delete or Retain';
    this.volumeEvent(volume, 'Warning', 'VolumeFailedRecycle', message);
    volume.status = { ...volume.status, phase: 'Failed', message };
    await this.core.replacePersistentVolumeStatus({ name: volume.metadata!.name!, body: volume });
  }
}

export async function start(ctx: ControllerContext): Promise<() => Promise<void>> {
  return new PersistentVolumeController(ctx).run();
}
