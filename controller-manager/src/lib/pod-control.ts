// Upstream controller.PodControlInterface (RealPodControl): a controller creates, deletes and
// patches its pods through one object that records what happened on the owner, as
// kube-controller-manager does (SuccessfulCreate / FailedCreate / SuccessfulDelete /
// FailedDelete). The StatefulSet controller words its events differently upstream
// (StatefulPodControl), so the messages are a parameter; the behaviour is the same.
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import type { EventObject, EventRecorder } from '@skiff/common';
import { errorMessage, isConflict, isNamespaceTerminating, isNotFound } from './api-errors.ts';
import { ownerRefsPatchRequest } from './claim.ts';
import type { Expectations } from './expectations.ts';
import { podKey } from './pods.ts';
import { slowStartBatch } from './slow-start.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The events' texts (`owner` is the object they are recorded on); a failure message of undefined records no event. */
export interface PodEventMessages {
  created(pod: V1Pod, owner: EventObject): string;
  createFailed(pod: V1Pod, err: unknown, owner: EventObject): string | undefined;
  deleted(name: string, owner: EventObject): string;
  deleteFailed(name: string, err: unknown, owner: EventObject): string;
}

/** RealPodControl's texts, shared by the ReplicaSet, DaemonSet and Job controllers. */
export const realPodControlMessages: PodEventMessages = {
  created: (pod) => `Created pod: ${pod.metadata?.name}`,
  createFailed: (_pod, err) => `Error creating: ${errorMessage(err)}`,
  deleted: (name) => `Deleted pod: ${name}`,
  deleteFailed: (_name, err) => `Error deleting: ${errorMessage(err)}`,
};

export class PodControl {
  private readonly core: CoreV1Api;
  private readonly events: EventRecorder;
  private readonly messages: PodEventMessages;

  constructor(core: CoreV1Api, events: EventRecorder, messages: PodEventMessages = realPodControlMessages) {
    this.core = core;
    this.events = events;
    this.messages = messages;
  }

  /** Creates `body` in `namespace` and records it on `owner`. A namespace being deleted refuses every create: no event for that. */
  async createPod(owner: EventObject, namespace: string, body: V1Pod): Promise<V1Pod> {
    let pod: V1Pod;
    try {
      pod = await this.core.createNamespacedPod({ namespace, body });
    } catch (e) {
      const message = isNamespaceTerminating(e) ? undefined : this.messages.createFailed(body, e, owner);
      if (message !== undefined) this.events.event(owner, 'Warning', 'FailedCreate', message);
      throw e;
    }
    this.events.event(owner, 'Normal', 'SuccessfulCreate', this.messages.created(pod, owner));
    return pod;
  }

  /**
   * Deletes a pod and records it on `owner`. A pod already gone is no news (no event, the
   * NotFound is thrown for the caller to judge), nor is a uid precondition that no longer holds:
   * the pod it named is gone and a successor has the name.
   */
  async deletePod(owner: EventObject, namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace, ...(uid ? { body: { preconditions: { uid } } } : {}) });
    } catch (e) {
      if (!isNotFound(e) && !(uid && isConflict(e))) this.events.event(owner, 'Warning', 'FailedDelete', this.messages.deleteFailed(name, e, owner));
      throw e;
    }
    this.events.event(owner, 'Normal', 'SuccessfulDelete', this.messages.deleted(name, owner));
  }

  /** Sets a pod's ownerReferences (adoption or release), guarded by its resourceVersion and uid. */
  patchOwnerRefs(pod: V1Pod, ownerReferences: V1OwnerReference[]): Promise<V1Pod> {
    return this.patchPod(pod, { ownerReferences });
  }

  /**
   * Merge-patches a pod's ownerReferences and, where an owner adds or drops its own finalizer
   * with them (upstream's ControllerRefManager for Jobs), its finalizers; guarded by the pod's
   * resourceVersion and uid.
   */
  patchPod(pod: V1Pod, metadata: { ownerReferences: V1OwnerReference[]; finalizers?: string[] }): Promise<V1Pod> {
    const request = ownerRefsPatchRequest(pod, metadata.ownerReferences);
    if (metadata.finalizers) Object.assign(request.body.metadata, { finalizers: metadata.finalizers });
    return this.core.patchNamespacedPod(request, mergePatch);
  }

  /**
   * Creates `count` pods in slow-start batches under expectations (as upstream's manage loops
   * do): creations that never happened are observed at once, so the owner is not left
   * waiting for them. `make(i)` builds the i-th pod; `created` hears of each pod made.
   */
  async createPods(
    expectations: Expectations,
    key: string,
    owner: EventObject,
    namespace: string,
    count: number,
    make: (i: number) => V1Pod,
    created?: (pod: V1Pod, i: number) => void,
  ): Promise<{ created: number; error?: unknown }> {
    if (count <= 0) return { created: 0 };
    expectations.expectCreations(key, count);
    let next = 0;
    const { succeeded, firstError } = await slowStartBatch(count, 1, async () => {
      const i = next++;
      const pod = await this.createPod(owner, namespace, make(i));
      created?.(pod, i);
    });
    for (let skipped = count - succeeded; skipped > 0; skipped--) expectations.creationObserved(key);
    return { created: succeeded, error: firstError };
  }

  /**
   * Deletes `victims` at once under expectations; a pod already gone counts as deleted. The
   * first other failure is returned.
   */
  async deletePods(expectations: Expectations, key: string, owner: EventObject, victims: readonly V1Pod[]): Promise<unknown> {
    if (!victims.length) return undefined;
    expectations.expectDeletions(key, victims.map(podKey));
    let failure: unknown;
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await this.deletePod(owner, pod.metadata!.namespace!, pod.metadata!.name!);
        } catch (e) {
          expectations.deletionObserved(key, podKey(pod));
          if (!isNotFound(e)) failure ??= e;
        }
      }),
    );
    return failure;
  }
}
