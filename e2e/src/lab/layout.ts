// Where a lab lives on the host: its bridge, its /24 and the names of its worker "VMs".
// `make lab` uses the defaults; the e2e suite moves all three so it never meets a `make lab`.

export interface LabLayout {
  /** lab bridge on the host (at most 15 characters) */
  bridge: string;
  /** first three octets of the lab /24: the host is .1, worker N is .1N */
  net: string;
  /** worker N's namespace and node name is PREFIX + N */
  prefix: string;
}

export const DEFAULT_LAYOUT: LabLayout = { bridge: 'skifflab0', net: '10.254.0', prefix: 'skiff-w' };
export const E2E_LAYOUT: LabLayout = { bridge: 'skiffe2e0', net: '10.253.0', prefix: 'skiff-e' };

export function hostAddress(layout: LabLayout): string {
  return `${layout.net}.1`;
}

export function workerName(layout: LabLayout, index: number): string {
  return `${layout.prefix}${index}`;
}

export function workerAddress(layout: LabLayout, index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 9) throw new Error(`worker index must be 1..9, got ${index}`);
  return `${layout.net}.1${index}`;
}

/** The lab's LoadBalancer addresses (scripts/lab.sh uses the same): .200-.239 of the lab /24, on the bridge's link. */
export function loadBalancerPool(layout: LabLayout): string {
  return `${layout.net}.200-${layout.net}.239`;
}

/** The environment scripts/lab.sh reads its layout from. */
export function layoutEnv(layout: LabLayout): Record<string, string> {
  return { SKIFF_LAB_BRIDGE: layout.bridge, SKIFF_LAB_NET: layout.net, SKIFF_LAB_PREFIX: layout.prefix };
}
