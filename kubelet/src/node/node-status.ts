// The Node object this kubelet registers and keeps current: capacity and allocatable,
// addresses, nodeInfo, labels, conditions (heartbeat times only move on status posts).
import type { V1Node, V1NodeCondition, V1NodeStatus } from '@kubernetes/client-node';
import type { MachineInfo } from './machine.ts';
import { wireTime } from '../api/wire-time.ts';

export const KUBELET_VERSION = 'v1.33.0-skiff';

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  hostname: string;
  port: number;
  maxPods: number;
  machine: MachineInfo;
  runtimeVersion: string;
  labels?: Record<string, string>;
  /** reserved for the system: subtracted from capacity */
  reservedMemoryBytes?: number;
}

export function nodeObject(id: NodeIdentity): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.nodeName,
      labels: {
        'kubernetes.io/hostname': id.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': id.machine.arch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': id.machine.arch,
        ...(id.labels ?? {}),
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
  };
}

export interface Health {
  ready: boolean;
  readyReason: string;
  readyMessage: string;
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

function cond(type: string, isTrue: boolean, reason: string, message: string, prev: V1NodeCondition[] | undefined, now: string): V1NodeCondition {
  const status = isTrue ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now as unknown as Date,
    lastTransitionTime: (old && old.status === status ? wireTime(old.lastTransitionTime) : now) as Date,
  };
}

export function nodeStatus(id: NodeIdentity, health: Health, prev: V1NodeStatus | undefined, now = new Date()): V1NodeStatus {
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const m = id.machine;
  const memKi = Math.floor(m.memoryBytes / 1024);
  const allocMemKi = Math.max(0, memKi - Math.floor((id.reservedMemoryBytes ?? 100 * 1024 * 1024) / 1024));
  const capacity = {
    cpu: String(m.cpus),
    memory: `${memKi}Ki`,
    pods: String(id.maxPods),
    'ephemeral-storage': `${Math.floor(m.ephemeralStorageBytes / 1024)}Ki`,
    'hugepages-2Mi': '0',
  };
  const allocatable = { ...capacity, memory: `${allocMemKi}Ki`, 'ephemeral-storage': String(Math.floor(m.ephemeralStorageBytes * 0.9)) };
  const c = prev?.conditions;
  return {
    capacity,
    allocatable,
    conditions: [
      cond(
        'MemoryPressure',
        health.memoryPressure,
        health.memoryPressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
        health.memoryPressure ? 'kubelet has insufficient memory available' : 'kubelet has sufficient memory available',
        c,
        ts,
      ),
      cond(
        'DiskPressure',
        health.diskPressure,
        health.diskPressure ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure',
        health.diskPressure ? 'kubelet has disk pressure' : 'kubelet has no disk pressure',
        c,
        ts,
      ),
      cond(
        'PIDPressure',
        health.pidPressure,
        health.pidPressure ? 'KubeletHasInsufficientPID' : 'KubeletHasSufficientPID',
        health.pidPressure ? 'kubelet has insufficient PID available' : 'kubelet has sufficient PID available',
        c,
        ts,
      ),
      cond('Ready', health.ready, health.readyReason, health.readyMessage, c, ts),
    ],
    addresses: [
      { type: 'InternalIP', address: id.nodeIP },
      { type: 'Hostname', address: id.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.port } },
    nodeInfo: {
      machineID: m.machineID,
      systemUUID: m.machineID,
      bootID: '',
      kernelVersion: m.kernel,
      osImage: m.osImage,
      containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: m.arch,
    },
  };
}

/** The status without heartbeat times: what decides whether a post is needed now. */
export function statusFingerprint(s: V1NodeStatus | undefined): string {
  if (!s) return '';
  return JSON.stringify({ ...s, conditions: s.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })) });
}
