// skiff.io/local-path: Skiff's dynamic provisioner, in the spirit of Rancher's
// local-path-provisioner. For a claim handed to it (the binder's storage-provisioner
// annotation) whose first pod was placed (volume.kubernetes.io/selected-node), it creates a
// hostPath volume under --local-path-root on that node, pinned there by node affinity and
// pre-bound to the claim; the binder completes the binding. The directory itself is created by
// the node's kubelet when a pod mounts it (hostPath DirectoryOrCreate): the controller-manager
// cannot reach other nodes' disks.
import path from 'node:path';
import { CoreV1Api, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1StorageClass } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import type { ControllerContext } from '../../controller-context.ts';
import { isAlreadyExists } from '../../lib/api-errors.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { claimInformer, classInformer, volumeInformer } from '../persistentvolume/controller.ts';
import { annProvisionedBy, annSelectedNode, annStorageProvisioner } from '../persistentvolume/matching.ts';

export const name = 'local-path-provisioner';
export const localPathProvisioner = 'skiff.io/local-path';

/** The volume's name and its directory: pvc-<uid>, and pvc-<uid>_<namespace>_<claim> under the root. */
export function volumeFor(claim: V1PersistentVolumeClaim, cls: V1StorageClass, node: string, root: string): V1PersistentVolume {
  const meta = claim.metadata!;
  const volumeName = `pvc-${meta.uid}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeName, annotations: { [annProvisionedBy]: localPathProvisioner, [annSelectedNode]: node } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '0' },
      accessModes: claim.spec?.accessModes,
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: cls.metadata?.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: path.posix.join(root, `${volumeName}_${meta.namespace}_${meta.name}`), type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    },
  };
}

class LocalPathProvisioner {
  private readonly ctx: ControllerContext;
  private readonly core: CoreV1Api;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly volumes: Informer<V1PersistentVolume>;
  private readonly classes: Informer<V1StorageClass>;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.claims = claimInformer(ctx);
    this.volumes = volumeInformer(ctx);
    this.classes = classInformer(ctx);
    this.events = newEventRecorder(ctx, `${localPathProvisioner}_${ctx.config.identity ?? 'controller-manager'}`);
    const onClaim = (c: V1PersistentVolumeClaim) => {
      if (c.metadata?.annotations?.[annStorageProvisioner] === localPathProvisioner) this.queue.add(keyOf(c));
    };
    this.claims.on({ add: onClaim, update: onClaim });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name,
      queue: this.queue,
      caches: [this.claims, this.volumes, this.classes],
      workers: 1,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  private event(c: V1PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.event(eventRef(c, 'v1', 'PersistentVolumeClaim'), type, reason, message);
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name: claimName } = splitKey(key);
    const claim = this.claims.get(claimName, namespace);
    if (!claim || claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    if (claim.metadata?.annotations?.[annStorageProvisioner] !== localPathProvisioner) return;
    const volumeName = `pvc-${claim.metadata?.uid}`;
    if (this.volumes.get(volumeName)) return; // made already; the binder finishes
    const cls = this.classes.get(claim.spec?.storageClassName ?? '');
    if (!cls || cls.provisioner !== localPathProvisioner) return;
    this.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    const node = claim.metadata?.annotations?.[annSelectedNode];
    if (!node) {
      // local volumes live on one node: without a consumer's node there is nowhere to put it
      this.event(
        claim,
        'Warning',
        'ProvisioningFailed',
        'failed to provision volume with StorageClass "' +
          cls.metadata?.name +
          '": configuration error, no node was specified; use volumeBindingMode WaitForFirstConsumer',
      );
      return;
    }
    try {
      await this.core.createPersistentVolume({ body: volumeFor(claim, cls, node, this.ctx.config.localPathRoot) });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    this.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`);
  }
}

export async function start(ctx: ControllerContext): Promise<() => Promise<void>> {
  return new LocalPathProvisioner(ctx).run();
}
