// The ephemeral volume controller (pkg/controller/volume/ephemeral): for each generic
// ephemeral volume of a pod it creates the claim <pod>-<volume> from the volume's template,
// owned by the pod, so that the garbage collector removes it with the pod.
import { CoreV1Api, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from '@skiff/common';
import type { ControllerContext } from '../../controller-context.ts';
import { isAlreadyExists } from '../../lib/api-errors.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { claimInformer } from '../persistentvolume/controller.ts';

export const name = 'ephemeral-volume';

/** The claim a pod's ephemeral volume uses, built from its template. */
export function claimFor(pod: V1Pod, volumeName: string, template: { metadata?: any; spec?: any }): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      name: `${pod.metadata?.name}-${volumeName}`,
      namespace: pod.metadata?.namespace,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template.spec),
  };
}

class EphemeralVolumeController {
  private readonly ctx: ControllerContext;
  private readonly core: CoreV1Api;
  private readonly pods: Informer<V1Pod>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private readonly events: EventRecorder;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    this.pods = ctx.informers.pods();
    this.claims = claimInformer(ctx);
    this.events = newEventRecorder(ctx, 'ephemeral_volume');
    const onPod = (p: V1Pod) => {
      if ((p.spec?.volumes ?? []).some((v) => v.ephemeral)) this.queue.add(keyOf(p));
    };
    this.pods.on({ add: onPod, update: onPod });
    // a claim of ours that goes away is made again while its pod needs it
    this.claims.on({
      delete: (c) => {
        const owner = c.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'Pod');
        if (owner) this.queue.add(`${c.metadata?.namespace}/${owner.name}`);
      },
    });
  }

  run(): () => Promise<void> {
    return runManagedController(this.ctx, {
      name,
      queue: this.queue,
      caches: [this.pods, this.claims],
      workers: 1,
      reconcile: (key) => this.sync(key),
      events: this.events,
    });
  }

  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name: podName } = splitKey(key);
    const pod = this.pods.get(podName, namespace);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    for (const v of pod.spec?.volumes ?? []) {
      const template = v.ephemeral?.volumeClaimTemplate;
      if (!template) continue;
      const claimName = `${podName}-${v.name}`;
      const existing = this.claims.get(claimName, namespace);
      if (existing) {
        if (!existing.metadata?.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata?.uid)) {
          this.events.event(
            eventRef(pod, 'v1', 'Pod'),
            'Warning',
            'FailedBinding',
            `PVC ${namespace}/${claimName} was not created for pod ${namespace}/${podName} (pod is not owner)`,
          );
        }
        continue;
      }
      try {
        await this.core.createNamespacedPersistentVolumeClaim({ namespace: namespace!, body: claimFor(pod, v.name, template) });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
}

export async function start(ctx: ControllerContext): Promise<() => Promise<void>> {
  return new EphemeralVolumeController(ctx).run();
}
