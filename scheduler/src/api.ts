// Everything the scheduler writes, through the official client: bindings, the PodScheduled
// condition and nominated node, evictions for preemption, and events.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig, V1PodCondition } from '@kubernetes/client-node';
import type { PodInfo } from './cache/pod-info.ts';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export interface EventSpec {
  pod: PodInfo;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  action: string;
}

/** The HTTP status of a client error, whatever shape the client gave it. */
export function statusCodeOf(e: unknown): number | undefined {
  const x = e as any;
  return x?.code ?? x?.statusCode ?? x?.response?.statusCode;
}

export class SchedulerApi {
  private readonly core: CoreV1Api;
  private readonly component: string;
  private readonly instance: string;

  constructor(kc: KubeConfig, component: string, instance: string) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.component = component;
    this.instance = instance;
  }

  async bind(pod: PodInfo, nodeName: string): Promise<void> {
    await this.core.createNamespacedPodBinding({
      name: pod.name, namespace: pod.namespace,
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
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

  async createEvent(ev: EventSpec): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { name: `${ev.pod.name}.${(now.getTime() * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`, namespace: ev.pod.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: ev.pod.name, namespace: ev.pod.namespace, uid: ev.pod.uid },
      type: ev.type, reason: ev.reason, message: ev.message, action: ev.action,
      source: { component: this.component },
      reportingComponent: this.component, reportingInstance: this.instance,
      firstTimestamp: now, lastTimestamp: now, eventTime: now as any, count: 1,
    };
    await this.core.createNamespacedEvent({ namespace: ev.pod.namespace, body });
  }
}
