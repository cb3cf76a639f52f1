// Everything the scheduler writes, through the official client: bindings, the PodScheduled
// condition and nominated node, evictions for preemption, and where events go.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1PodCondition } from '@kubernetes/client-node';
import { clientSink, type EventSink } from '@skiff/common';
import type { PodInfo } from './cache/pod-info.ts';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** The HTTP status of a client error, whatever shape the client gave it. */
export function statusCodeOf(e: unknown): number | undefined {
  const x = e as any;
  return x?.code ?? x?.statusCode ?? x?.response?.statusCode;
}

export class SchedulerApi {
  private readonly core: CoreV1Api;
  readonly eventSink: EventSink;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.eventSink = clientSink(kc);
  }

  async bind(pod: PodInfo, nodeName: string): Promise<void> {
    await this.core.createNamespacedPodBinding({
      name: pod.name,
      namespace: pod.namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      },
    });
  }

  /** Sets PodScheduled (and status.nominatedNodeName when given; '' clears it). */
  async updatePodStatus(pod: PodInfo, condition: V1PodCondition, nominatedNodeName?: string): Promise<void> {
    const status: Record<string, unknown> = { conditions: [condition] };
    if (nominatedNodeName !== undefined) status.nominatedNodeName = nominatedNodeName || null;
    await this.core.patchNamespacedPodStatus({ name: pod.name, namespace: pod.namespace, body: { status } }, strategicMerge);
  }

  /** Deletes a preemption victim, only the very pod that was chosen (uid precondition). */
  async deletePod(pod: PodInfo): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name: pod.name, namespace: pod.namespace, body: { preconditions: { uid: pod.uid } } });
    } catch (e) {
      if (statusCodeOf(e) !== 404) throw e;
    }
  }
}
