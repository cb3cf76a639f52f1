// The Baseline level of the Pod Security Standards: no known privilege escalations.
// Messages are pod-security-admission's (staging/src/k8s.io/pod-security-admission/policy).
import { type Check, allContainers, containersWord, joinQuote, pluralize } from './helpers.ts';

const allowedCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const allowedSysctls = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const allowedSELinuxTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

/** "pod and containers "a"", "pod", or "containers "a"" */
function podAndContainers(pod: boolean, names: string[]): string {
  const parts: string[] = [];
  if (pod) parts.push('pod');
  if (names.length) parts.push(containersWord(names));
  return parts.join(' and ');
}

export const appArmorProfile: Check = (meta, spec) => {
  const bad: string[] = [];
  const badType = (p: any) => p && p.type !== undefined && p.type !== 'RuntimeDefault' && p.type !== 'Localhost';
  if (badType(spec?.securityContext?.appArmorProfile))
    bad.push(`pod must not set securityContext.appArmorProfile.type to ${JSON.stringify(spec.securityContext.appArmorProfile.type)}`);
  const containers = allContainers(spec).filter((c) => badType(c.securityContext?.appArmorProfile));
  if (containers.length) {
    const types = [...new Set(containers.map((c) => c.securityContext.appArmorProfile.type))].sort();
    bad.push(`${containersWord(containers.map((c) => c.name))} must not set securityContext.appArmorProfile.type to ${joinQuote(types)}`);
  }
  const annotations = Object.entries(meta?.annotations ?? {})
    .filter(([k, v]) => k.startsWith(appArmorAnnotationPrefix) && v !== 'runtime/default' && !String(v).startsWith('localhost/'))
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  if (annotations.length) bad.push(`${pluralize('annotation', 'annotations', annotations.length)} ${annotations.join(', ')}`);
  return bad.length ? { reason: 'forbidden AppArmor profiles', detail: bad.join('; ') } : undefined;
};

export const hostNamespaces: Check = (_meta, spec) => {
  const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec?.[f] === true).map((f) => `${f}=true`);
  return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
};

export const hostPorts: Check = (_meta, spec) => {
  const names: string[] = [];
  const ports = new Set<number>();
  for (const c of allContainers(spec)) {
    const used = (c.ports ?? []).map((p: any) => p?.hostPort).filter((p: unknown) => typeof p === 'number' && p !== 0);
    if (used.length) {
      names.push(c.name);
      for (const p of used) ports.add(p);
    }
  }
  if (!names.length) return undefined;
  const list = [...ports].sort((a, b) => a - b);
  return {
    reason: 'hostPort',
    detail: `${containersWord(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  };
};

export const privileged: Check = (_meta, spec) => {
  const names = allContainers(spec)
    .filter((c) => c.securityContext?.privileged === true)
    .map((c) => c.name);
  return names.length ? { reason: 'privileged', detail: `${containersWord(names)} must not set securityContext.privileged=true` } : undefined;
};

export const procMount: Check = (_meta, spec) => {
  const bad = allContainers(spec).filter((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== 'Default');
  if (!bad.length) return undefined;
  const values = [...new Set(bad.map((c) => c.securityContext.procMount))].sort();
  return { reason: 'procMount', detail: `${containersWord(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(values)}` };
};

export const seLinuxOptions: Check = (_meta, spec) => {
  const types = new Set<string>();
  const users = new Set<string>();
  const roles = new Set<string>();
  const judge = (o: any): boolean => {
    if (!o) return false;
    let bad = false;
    if (!allowedSELinuxTypes.has(o.type ?? '')) {
      types.add(o.type);
      bad = true;
    }
    if (o.user) {
      users.add(o.user);
      bad = true;
    }
    if (o.role) {
      roles.add(o.role);
      bad = true;
    }
    return bad;
  };
  const pod = judge(spec?.securityContext?.seLinuxOptions);
  const names = allContainers(spec)
    .filter((c) => judge(c.securityContext?.seLinuxOptions))
    .map((c) => c.name);
  if (!pod && !names.length) return undefined;
  const parts: string[] = [];
  if (types.size) parts.push(`${pluralize('type', 'types', types.size)} ${joinQuote([...types].sort())}`);
  if (users.size) parts.push(`${pluralize('user', 'users', users.size)} ${joinQuote([...users].sort())}`);
  if (roles.size) parts.push(`${pluralize('role', 'roles', roles.size)} ${joinQuote([...roles].sort())}`);
  return { reason: 'seLinuxOptions', detail: `${podAndContainers(pod, names)} set forbidden securityContext.seLinuxOptions: ${parts.join('; ')}` };
};

export const sysctls: Check = (_meta, spec) => {
  const bad = (spec?.securityContext?.sysctls ?? []).map((s: any) => s?.name).filter((n: string) => !allowedSysctls.has(n));
  return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
};

export const windowsHostProcess: Check = (_meta, spec) => {
  const pod = spec?.securityContext?.windowsOptions?.hostProcess === true;
  const names = allContainers(spec)
    .filter((c) => c.securityContext?.windowsOptions?.hostProcess === true)
    .map((c) => c.name);
  if (!pod && !names.length) return undefined;
  return { reason: 'hostProcess', detail: `${podAndContainers(pod, names)} must not set securityContext.windowsOptions.hostProcess=true` };
};

// The three below are overridden by a stricter Restricted check, so only Baseline runs them.

export const capabilitiesBaseline: Check = (_meta, spec) => {
  const names: string[] = [];
  const caps = new Set<string>();
  for (const c of allContainers(spec)) {
    const bad = (c.securityContext?.capabilities?.add ?? []).filter((x: string) => !allowedCapabilities.has(x));
    if (bad.length) {
      names.push(c.name);
      for (const x of bad) caps.add(x);
    }
  }
  if (!names.length) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${containersWord(names)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`,
  };
};

export const hostPathVolumes: Check = (_meta, spec) => {
  const names = (spec?.volumes ?? []).filter((v: any) => v?.hostPath).map((v: any) => v.name);
  return names.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}` } : undefined;
};

export const seccompProfileBaseline: Check = (_meta, spec) => {
  const bad: string[] = [];
  if (spec?.securityContext?.seccompProfile?.type === 'Unconfined') bad.push('pod must not set securityContext.seccompProfile.type to "Unconfined"');
  const names = allContainers(spec)
    .filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined')
    .map((c) => c.name);
  if (names.length) bad.push(`${containersWord(names)} must not set securityContext.seccompProfile.type to "Unconfined"`);
  return bad.length ? { reason: 'seccompProfile', detail: bad.join('; ') } : undefined;
};
