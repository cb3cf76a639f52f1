// What a pod worker needs from a container runtime. Two implementations: the CRI one
// (containerd) and the simulated one (hollow nodes: no containers at all).
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** What actually runs for one pod, as the runtime sees it. */
export interface RuntimePodStatus {
  /** Pending while the sandbox or containers are being set up; the runtime decides terminal phases. */
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  podIP?: string;
  initialized: boolean;
  initContainerStatuses: V1ContainerStatus[];
  containerStatuses: V1ContainerStatus[];
  reason?: string;
  message?: string;
}

export interface PodRuntime {
  readonly kind: 'cri' | 'simulated';
  version(): Promise<{ runtimeName: string; runtimeVersion: string }>;
  /** One level-triggered pass: bring the runtime toward the pod's spec, report what runs. */
  syncPod(pod: V1Pod): Promise<RuntimePodStatus>;
  /** Stops (preStop hooks, SIGTERM, SIGKILL after the grace period) and removes everything of the pod. */
  killPod(uid: string, pod: V1Pod | undefined, gracePeriodSeconds: number): Promise<void>;
  /** UIDs of the pods the runtime holds anything for (sandboxes or containers). */
  podUids(): Promise<Set<string>>;
  /**
   * One cheap look at everything the runtime runs, as pod uid -> a string that changes whenever
   * any of the pod's sandboxes or containers appears, goes or changes state (upstream's PLEG
   * relist). Absent: the runtime has nothing to observe (simulated pods change only when synced).
   */
  relist?(): Promise<Map<string, string>>;
  /** Forgets per-pod state (probes, back-off) after the pod is gone. */
  forget(uid: string): void;
  close(): void;
}
