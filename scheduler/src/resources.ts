// Pod requests counted the way Kubernetes' resource helper counts them: regular containers
// and sidecars (restartable init containers) add up, plain init containers run one at a time
// so only the largest matters, and the pod overhead comes on top.
import { millisOf, unitsOf } from '@skiff/common/apimachinery/quantity';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** extended resources (nvidia.com/gpu, hugepages-2Mi, ...) by name */
  scalar: Map<string, number>;
}

/** What a container without a request is charged for scoring, as Kubernetes does. */
export const defaultMilliCpuRequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

const ignoredScalars = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/** Reads a ResourceList (requests, allocatable) into numbers. */
export function readResourceList(list: Record<string, string | number> | undefined): Resources {
  const r = emptyResources();
  if (!list) return r;
  for (const [name, q] of Object.entries(list)) {
    if (name === 'cpu') r.milliCPU = millisOf(q);
    else if (name === 'memory') r.memory = unitsOf(q);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = unitsOf(q);
    else if (!ignoredScalars.has(name)) r.scalar.set(name, unitsOf(q));
  }
  return r;
}

export function addInto(target: Resources, r: Resources, sign = 1): void {
  target.milliCPU += sign * r.milliCPU;
  target.memory += sign * r.memory;
  target.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) target.scalar.set(k, (target.scalar.get(k) ?? 0) + sign * v);
}

function maxInto(target: Resources, r: Resources): void {
  target.milliCPU = Math.max(target.milliCPU, r.milliCPU);
  target.memory = Math.max(target.memory, r.memory);
  target.ephemeralStorage = Math.max(target.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) target.scalar.set(k, Math.max(target.scalar.get(k) ?? 0, v));
}

function copy(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalar: new Map(r.scalar) };
}

function containerRequests(c: any, nonZero: boolean): Resources {
  // the apiserver defaults a missing request to the limit; read the limit too in case it did not
  const req = { ...(c?.resources?.limits ?? {}), ...(c?.resources?.requests ?? {}) };
  const r = readResourceList(req);
  if (nonZero) {
    if (req.cpu === undefined) r.milliCPU = defaultMilliCpuRequest;
    if (req.memory === undefined) r.memory = defaultMemoryRequest;
  }
  return r;
}

/**
 * The pod's effective requests. With `nonZero`, containers without a cpu or memory request
 * count as 100m / 200Mi (used by scoring so that best-effort pods still spread).
 */
export function podRequests(spec: any, nonZero = false): Resources {
  const total = emptyResources();
  for (const c of spec?.containers ?? []) addInto(total, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initPeak = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    let during: Resources;
    if (c?.restartPolicy === 'Always') {
      addInto(total, r);
      addInto(sidecars, r);
      during = copy(sidecars);
    } else {
      during = copy(r);
      addInto(during, sidecars);
    }
    maxInto(initPeak, during);
  }
  maxInto(total, initPeak);
  if (spec?.overhead) addInto(total, readResourceList(spec.overhead));
  return total;
}
