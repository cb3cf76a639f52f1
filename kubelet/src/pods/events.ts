// Events about pods and their containers, as the kubelet records them for `kubectl describe
// pod`: container events point at spec.containers{NAME} (or spec.initContainers{NAME}) of the
// pod, pod events at the pod itself. Reasons and wording follow pkg/kubelet/events and
// kuberuntime, so tools that match on them behave as with the real kubelet.
import type { V1Pod } from '@kubernetes/client-node';
import type { EventObject, EventType } from '@skiff/common';

/** Where events go: an EventRecorder (which aggregates repeats into count). */
export interface EventWriter {
  event(obj: EventObject, type: EventType, reason: string, message: string): void;
}

export class PodEvents {
  private readonly writer: EventWriter | undefined;

  /** Without a writer nothing is recorded (hollow nodes). */
  constructor(writer?: EventWriter) {
    this.writer = writer;
  }

  pod(pod: V1Pod, type: EventType, reason: string, message: string): void {
    this.writer?.event(podRef(pod), type, reason, message);
  }

  container(pod: V1Pod, name: string, type: EventType, reason: string, message: string): void {
    this.writer?.event({ ...podRef(pod), fieldPath: containerFieldPath(pod, name) }, type, reason, message);
  }
}

export function podRef(pod: V1Pod): EventObject {
  const m = pod.metadata!;
  return { apiVersion: 'v1', kind: 'Pod', name: m.name!, namespace: m.namespace ?? 'default', uid: m.uid };
}

/** spec.containers{NAME} or spec.initContainers{NAME}, whichever list names it. */
export function containerFieldPath(pod: V1Pod, name: string): string {
  const init = !pod.spec?.containers.some((c) => c.name === name) && pod.spec?.initContainers?.some((c) => c.name === name);
  return init ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

/** The kubelet's name for a pod in messages: name_namespace(uid). */
export function podDesc(pod: V1Pod): string {
  const m = pod.metadata!;
  return `${m.name}_${m.namespace}(${m.uid})`;
}

/** A duration as Go prints a time.Duration truncated to milliseconds: 850ms, 1.234s, 2m3.5s. */
export function goDuration(ms: number): string {
  const t = Math.max(0, Math.trunc(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const s = `${((t % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}`;
}
