// The Restricted level of the Pod Security Standards: current pod hardening practice.
// Messages are pod-security-admission's (staging/src/k8s.io/pod-security-admission/policy).
import { type Check, allContainers, containersWord, joinQuote, pluralize } from './helpers.ts';

const allowedVolumeTypes = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'image']);

export const allowPrivilegeEscalation: Check = (_meta, spec) => {
  const names = allContainers(spec)
    .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
    .map((c) => c.name);
  return names.length
    ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersWord(names)} must set securityContext.allowPrivilegeEscalation=false` }
    : undefined;
};

export const capabilitiesRestricted: Check = (_meta, spec) => {
  const missingDrop: string[] = [];
  const adding: string[] = [];
  const caps = new Set<string>();
  for (const c of allContainers(spec)) {
    const capabilities = c.securityContext?.capabilities;
    if (!capabilities) {
      missingDrop.push(c.name);
      continue;
    }
    if (!(capabilities.drop ?? []).includes('ALL')) missingDrop.push(c.name);
    const bad = (capabilities.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE');
    if (bad.length) {
      adding.push(c.name);
      for (const x of bad) caps.add(x);
    }
  }
  const details: string[] = [];
  if (missingDrop.length) details.push(`${containersWord(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containersWord(adding)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`);
  return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
};

export const restrictedVolumes: Check = (_meta, spec) => {
  const names: string[] = [];
  const types = new Set<string>();
  for (const v of spec?.volumes ?? []) {
    const type = Object.keys(v ?? {}).find((k) => k !== 'name');
    if (type !== undefined && !allowedVolumeTypes.has(type)) {
      names.push(v.name);
      types.add(type);
    }
  }
  if (!names.length) return undefined;
  return {
    reason: 'restricted volume types',
    detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote([...types].sort())}`,
  };
};

export const runAsNonRoot: Check = (_meta, spec) => {
  const setters: string[] = [];
  const podValue = spec?.securityContext?.runAsNonRoot;
  if (podValue === false) setters.push('pod');
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of allContainers(spec)) {
    const v = c.securityContext?.runAsNonRoot;
    if (v === false) explicit.push(c.name);
    else if (v === undefined && podValue !== true) implicit.push(c.name);
  }
  if (explicit.length) setters.push(containersWord(explicit));
  if (setters.length) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersWord(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
};

export const runAsUser: Check = (_meta, spec) => {
  const setters: string[] = [];
  if (spec?.securityContext?.runAsUser === 0) setters.push('pod');
  const names = allContainers(spec)
    .filter((c) => c.securityContext?.runAsUser === 0)
    .map((c) => c.name);
  if (names.length) setters.push(containersWord(names));
  return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
};

export const seccompProfileRestricted: Check = (_meta, spec) => {
  const ok = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const podType = spec?.securityContext?.seccompProfile?.type;
  const setters: string[] = [];
  const badTypes = new Set<string>();
  if (podType !== undefined && !ok(podType)) {
    setters.push('pod');
    badTypes.add(podType);
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of allContainers(spec)) {
    const t = c.securityContext?.seccompProfile?.type;
    if (t !== undefined && !ok(t)) {
      explicit.push(c.name);
      badTypes.add(t);
    } else if (t === undefined && !ok(podType)) implicit.push(c.name);
  }
  if (explicit.length) setters.push(containersWord(explicit));
  if (setters.length) {
    return {
      reason: 'seccompProfile',
      detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote([...badTypes].sort())}`,
    };
  }
  if (implicit.length) {
    return {
      reason: 'seccompProfile',
      detail: `pod or ${containersWord(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    };
  }
  return undefined;
};
