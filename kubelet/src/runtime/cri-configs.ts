// Pod spec -> CRI PodSandboxConfig and ContainerConfig (the pure part of the CRI runtime).
import { ETC_HOSTS_PATH } from '../pods/etc-hosts.ts';
import { join } from 'node:path';
import type { V1Container, V1Pod, V1PodSecurityContext } from '@kubernetes/client-node';
import type { ContainerConfig, DNSConfig, LinuxContainerResources, LinuxContainerSecurityContext, Mount, PodSandboxConfig, PortMapping } from '../cri/types.ts';
import { expandVars } from '../pods/env.ts';
import { subPathHostPath } from '../volumes/subpath.ts';
import { parseQuantity } from '@skiff/common/apimachinery/quantity';
import type { PreparedVolume } from '../volumes/volume-manager.ts';
import * as L from './labels.ts';

export interface SandboxSettings {
  podLogDir: string;
  clusterDNS: string[];
  clusterDomain: string;
  cgroupParent?: string;
}

export function podLogDirectory(podLogDir: string, pod: V1Pod): string {
  const m = pod.metadata!;
  return join(podLogDir, `${m.namespace ?? 'default'}_${m.name}_${m.uid}`);
}

export function podLabels(pod: V1Pod): Record<string, string> {
  const m = pod.metadata!;
  return { [L.POD_UID]: m.uid!, [L.POD_NAME]: m.name!, [L.POD_NAMESPACE]: m.namespace ?? 'default', [L.MANAGED_BY]: L.MANAGED_BY_VALUE };
}

export function dnsConfigFor(pod: V1Pod, s: SandboxSettings): DNSConfig | undefined {
  const spec = pod.spec!;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const ns = pod.metadata?.namespace ?? 'default';
  let cfg: DNSConfig | undefined;
  if ((policy === 'ClusterFirst' && !spec.hostNetwork) || policy === 'ClusterFirstWithHostNet') {
    cfg = { servers: [...s.clusterDNS], searches: [`${ns}.svc.${s.clusterDomain}`, `svc.${s.clusterDomain}`, s.clusterDomain], options: ['ndots:5'] };
  } else if (policy === 'None') {
    cfg = { servers: [], searches: [], options: [] };
  }
  // Default (and ClusterFirst on the host network): an empty config makes containerd copy the node's resolv.conf.
  const extra = spec.dnsConfig;
  if (extra) {
    cfg ??= { servers: [], searches: [], options: [] };
    cfg.servers = [...(cfg.servers ?? []), ...(extra.nameservers ?? [])];
    cfg.searches = [...(cfg.searches ?? []), ...(extra.searches ?? [])];
    const opts = new Map((cfg.options ?? []).map((o) => [o.split(':')[0]!, o]));
    for (const o of extra.options ?? []) opts.set(o.name!, o.value !== undefined ? `${o.name}:${o.value}` : o.name!);
    cfg.options = [...opts.values()];
  }
  return cfg;
}

export function sandboxConfig(pod: V1Pod, attempt: number, s: SandboxSettings): PodSandboxConfig {
  const m = pod.metadata!;
  const spec = pod.spec!;
  const portMappings: PortMapping[] = [];
  for (const c of spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  const hostname = (spec.hostname || m.name!).slice(0, 63);
  const podSc = spec.securityContext;
  return {
    metadata: { name: m.name!, uid: m.uid!, namespace: m.namespace ?? 'default', attempt },
    hostname: spec.hostNetwork ? '' : hostname,
    logDirectory: podLogDirectory(s.podLogDir, pod),
    dnsConfig: dnsConfigFor(pod, s),
    portMappings,
    labels: podLabels(pod),
    annotations: { [L.ANNOTATION_GRACE]: String(spec.terminationGracePeriodSeconds ?? 30) },
    linux: {
      cgroupParent: s.cgroupParent ?? '',
      securityContext: {
        namespaceOptions: {
          network: spec.hostNetwork ? 'NODE' : 'POD',
          pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
          ipc: spec.hostIPC ? 'NODE' : 'POD',
        },
        ...(podSc?.runAsUser !== undefined ? { runAsUser: { value: podSc.runAsUser } } : {}),
        ...(podSc?.runAsGroup !== undefined ? { runAsGroup: { value: podSc.runAsGroup } } : {}),
        supplementalGroups: supplementalGroups(podSc),
      },
    },
  };
}

const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;

/** requests.cpu -> shares (1024 per core), limits.cpu -> CFS quota, limits.memory -> memory limit. */
export function linuxResources(c: V1Container): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const out: LinuxContainerResources = {};
  const cpuRequest = req.cpu ?? lim.cpu;
  // MilliCPUToShares and MilliCPUToQuota, as the kubelet computes them
  out.cpuShares = cpuRequest !== undefined ? Math.max(MIN_SHARES, Math.floor((parseQuantity(cpuRequest).milliValue() * 1024) / 1000)) : MIN_SHARES;
  if (lim.cpu !== undefined) {
    out.cpuPeriod = CPU_PERIOD_US;
    out.cpuQuota = Math.max(1000, Math.floor((parseQuantity(lim.cpu).milliValue() * CPU_PERIOD_US) / 1000));
  }
  if (lim.memory !== undefined) out.memoryLimitInBytes = parseQuantity(lim.memory).value();
  return out;
}

/** The pod's supplemental groups plus its fsGroup, which every container joins (as the kubelet does). */
export function supplementalGroups(podSc: V1PodSecurityContext | undefined): number[] {
  const groups = [...(podSc?.supplementalGroups ?? [])];
  if (podSc?.fsGroup !== undefined && podSc.fsGroup !== null && !groups.includes(podSc.fsGroup)) groups.push(podSc.fsGroup);
  return groups;
}

export function containerSecurity(pod: V1Pod, c: V1Container): LinuxContainerSecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const spec = pod.spec!;
  return {
    privileged: sc.privileged ?? false,
    readonlyRootfs: sc.readOnlyRootFilesystem ?? false,
    ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
    supplementalGroups: supplementalGroups(podSc),
    capabilities: { addCapabilities: sc.capabilities?.add ?? [], dropCapabilities: sc.capabilities?.drop ?? [] },
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    namespaceOptions: {
      network: spec.hostNetwork ? 'NODE' : 'POD',
      pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
      ipc: spec.hostIPC ? 'NODE' : 'POD',
    },
  };
}

export interface ContainerConfigInput {
  pod: V1Pod;
  container: V1Container;
  init: boolean;
  restartCount: number;
  image: string;
  env: Record<string, string>;
  volumes: Map<string, PreparedVolume>;
  /** host file bind-mounted at terminationMessagePath */
  terminationMessageHostPath: string;
  /** the pod's managed hosts file, bind-mounted at /etc/hosts unless the container mounts something there itself */
  etcHostsHostPath?: string;
}

export function containerConfig(i: ContainerConfigInput): ContainerConfig {
  const c = i.container;
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const vol = i.volumes.get(vm.name);
    if (!vol) throw new Error(`volumeMount ${vm.name}: no such volume`);
    const hostPath = subPathHostPath(vol.hostPath, vm, i.env, c.name);
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: !!vm.readOnly || vol.readOnly });
  }
  mounts.push({ containerPath: c.terminationMessagePath ?? '/dev/termination-log', hostPath: i.terminationMessageHostPath });
  if (i.etcHostsHostPath && !mounts.some((x) => x.containerPath === ETC_HOSTS_PATH)) {
    mounts.push({ containerPath: ETC_HOSTS_PATH, hostPath: i.etcHostsHostPath, readonly: false });
  }
  const m = i.pod.metadata!;
  return {
    metadata: { name: c.name, attempt: i.restartCount },
    image: { image: i.image, userSpecifiedImage: c.image ?? '' },
    command: (c.command ?? []).map((s) => expandVars(s, i.env)),
    args: (c.args ?? []).map((s) => expandVars(s, i.env)),
    workingDir: c.workingDir ?? '',
    envs: Object.entries(i.env).map(([key, value]) => ({ key, value })),
    mounts,
    labels: { ...podLabels(i.pod), [L.CONTAINER_NAME]: c.name },
    annotations: {
      [L.ANNOTATION_RESTART_COUNT]: String(i.restartCount),
      [L.ANNOTATION_TERMINATION_MESSAGE_PATH]: i.terminationMessageHostPath,
      [L.ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
      [L.ANNOTATION_INIT]: String(i.init),
      [L.ANNOTATION_GRACE]: String(i.pod.spec?.terminationGracePeriodSeconds ?? 30),
      'io.kubernetes.pod.name': m.name!,
    },
    logPath: `${c.name}/${i.restartCount}.log`,
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    tty: !!c.tty,
    linux: { resources: linuxResources(c), securityContext: containerSecurity(i.pod, c) },
  };
}
