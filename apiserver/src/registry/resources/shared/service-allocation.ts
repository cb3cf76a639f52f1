// Claims and frees a Service's ClusterIPs and NodePorts through the allocators, turning
// allocation failures into the 422 field errors Kubernetes returns.
import { errors, field } from '../../../errors.ts';
import type { KObject, RequestContext } from '../../types.ts';
import type { Storage } from '../../../storage/interface.ts';
import { ClusterIPAllocator, DEFAULT_SERVICE_CIDR } from '../../allocators/cluster-ip.ts';
import { NodePortAllocator, DEFAULT_NODE_PORT_RANGE } from '../../allocators/node-port.ts';
import { AllocationError } from '../../allocators/allocation-error.ts';
import type { ClaimOwner } from '../../allocators/claims.ts';

export interface Allocators {
  ips: ClusterIPAllocator;
  ports: NodePortAllocator;
}

export function allocatorsFor(ctx: RequestContext): Allocators {
  const storage = ctx.services?.storage as Storage | undefined;
  if (!storage) throw errors.internal('service allocation needs the storage service');
  const cfg = ctx.services.config ?? {};
  return {
    ips: new ClusterIPAllocator(storage, cfg.serviceClusterIPRange || DEFAULT_SERVICE_CIDR),
    ports: new NodePortAllocator(storage, cfg.serviceNodePortRange || DEFAULT_NODE_PORT_RANGE),
  };
}

export const ownerOf = (svc: KObject): ClaimOwner => ({ namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '', uid: svc.metadata.uid });

export const needsClusterIP = (svc: KObject) => svc.spec?.type !== 'ExternalName';
export const needsNodePorts = (svc: KObject) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
/** NodePorts are handed out unasked (a LoadBalancer may decline them with allocateLoadBalancerNodePorts: false). */
export const allocatesNodePorts = (svc: KObject) =>
  svc.spec?.type === 'NodePort' || (svc.spec?.type === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
/** apiservice.NeedsHealthCheck: a LoadBalancer that keeps client addresses gets a health-check node port. */
export const needsHealthCheck = (svc: KObject) => svc.spec?.type === 'LoadBalancer' && svc.spec?.externalTrafficPolicy === 'Local';
export const isHeadless = (svc: KObject) => svc.spec?.clusterIP === 'None';

/** The `kubernetes` Service in `default` gets the first address of the range. */
const isKubernetesService = (svc: KObject) => svc.metadata.namespace === 'default' && svc.metadata.name === 'kubernetes';

function allocationFailure(svc: KObject, e: unknown, fieldPath: string, value: unknown): unknown {
  if (!(e instanceof AllocationError)) return e;
  if (e.failure === 'full') return errors.internal(e.message);
  return errors.invalid('', 'Service', svc.metadata.name ?? '', [field.invalid(fieldPath, value, e.message)]);
}

/** Undo list: everything claimed in one request is given back if a later claim fails. */
class Claimed {
  ips: string[] = [];
  ports: number[] = [];
  async rollback(a: Allocators, owner: ClaimOwner, dryRun: boolean): Promise<void> {
    if (dryRun) return;
    for (const ip of this.ips) await a.ips.release(ip, owner).catch(() => undefined);
    for (const p of this.ports) await a.ports.release(p, owner).catch(() => undefined);
  }
}

async function claimClusterIP(svc: KObject, a: Allocators, owner: ClaimOwner, dryRun: boolean, claimed: Claimed): Promise<void> {
  const spec = svc.spec;
  if (isHeadless(svc)) {
    spec.clusterIPs = ['None'];
    return;
  }
  const requested: string | undefined = spec.clusterIP || spec.clusterIPs?.[0] || (isKubernetesService(svc) ? a.ips.firstAddress() : undefined);
  let ip: string;
  try {
    if (requested) {
      await a.ips.allocate(requested, owner, dryRun);
      ip = requested;
    } else ip = await a.ips.allocateNext(owner, dryRun);
  } catch (e) {
    throw allocationFailure(svc, e, 'spec.clusterIPs', [requested]);
  }
  claimed.ips.push(ip);
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
}

async function claimNodePorts(svc: KObject, a: Allocators, owner: ClaimOwner, dryRun: boolean, claimed: Claimed, alreadyHeld: Set<number>): Promise<void> {
  const ports: any[] = svc.spec.ports ?? [];
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    if (p.nodePort && alreadyHeld.has(p.nodePort)) continue;
    // without allocation only the node ports a user asked for are claimed (upstream initNodePorts)
    if (!p.nodePort && !allocatesNodePorts(svc)) continue;
    try {
      if (p.nodePort) await a.ports.allocate(p.nodePort, owner, dryRun);
      else p.nodePort = await a.ports.allocateNext(owner, dryRun);
    } catch (e) {
      throw allocationFailure(svc, e, `spec.ports[${i}].nodePort`, p.nodePort);
    }
    claimed.ports.push(p.nodePort);
    alreadyHeld.add(p.nodePort);
  }
}

async function claimHealthCheckNodePort(
  svc: KObject,
  a: Allocators,
  owner: ClaimOwner,
  dryRun: boolean,
  claimed: Claimed,
  alreadyHeld: Set<number>,
): Promise<void> {
  const spec = svc.spec;
  if (spec.healthCheckNodePort && alreadyHeld.has(spec.healthCheckNodePort)) return;
  try {
    if (spec.healthCheckNodePort) await a.ports.allocate(spec.healthCheckNodePort, owner, dryRun);
    else spec.healthCheckNodePort = await a.ports.allocateNext(owner, dryRun);
  } catch (e) {
    throw allocationFailure(svc, e, 'spec.healthCheckNodePort', spec.healthCheckNodePort);
  }
  claimed.ports.push(spec.healthCheckNodePort);
  alreadyHeld.add(spec.healthCheckNodePort);
}

export async function allocateForCreate(svc: KObject, ctx: RequestContext): Promise<void> {
  const a = allocatorsFor(ctx);
  const owner = ownerOf(svc);
  const claimed = new Claimed();
  try {
    if (needsClusterIP(svc)) await claimClusterIP(svc, a, owner, ctx.dryRun, claimed);
    const held = new Set<number>();
    if (needsNodePorts(svc)) await claimNodePorts(svc, a, owner, ctx.dryRun, claimed, held);
    if (needsHealthCheck(svc)) await claimHealthCheckNodePort(svc, a, owner, ctx.dryRun, claimed, held);
  } catch (e) {
    await claimed.rollback(a, owner, ctx.dryRun);
    throw e;
  }
}

const heldIPs = (svc: KObject): string[] => (needsClusterIP(svc) ? (svc.spec?.clusterIPs ?? []).filter((ip: string) => ip && ip !== 'None') : []);
const heldPorts = (svc: KObject): number[] => [
  ...(needsNodePorts(svc) ? (svc.spec?.ports ?? []).map((p: any) => p.nodePort).filter((n: unknown) => typeof n === 'number' && n > 0) : []),
  ...(needsHealthCheck(svc) && svc.spec.healthCheckNodePort > 0 ? [svc.spec.healthCheckNodePort as number] : []),
];

/** Claims what the new state needs beyond the old, then frees what it no longer uses. */
export async function reallocateForUpdate(svc: KObject, old: KObject, ctx: RequestContext): Promise<void> {
  const a = allocatorsFor(ctx);
  const owner = ownerOf(old);
  const claimed = new Claimed();
  try {
    if (needsClusterIP(svc) && !needsClusterIP(old)) await claimClusterIP(svc, a, owner, ctx.dryRun, claimed);
    const held = new Set(heldPorts(old));
    if (needsNodePorts(svc)) await claimNodePorts(svc, a, owner, ctx.dryRun, claimed, held);
    if (needsHealthCheck(svc)) await claimHealthCheckNodePort(svc, a, owner, ctx.dryRun, claimed, held);
  } catch (e) {
    await claimed.rollback(a, owner, ctx.dryRun);
    throw e;
  }
  if (ctx.dryRun) return;
  const keepIPs = new Set(heldIPs(svc));
  const keepPorts = new Set(heldPorts(svc));
  for (const ip of heldIPs(old)) if (!keepIPs.has(ip)) await a.ips.release(ip, owner);
  for (const p of heldPorts(old)) if (!keepPorts.has(p)) await a.ports.release(p, owner);
}

export async function releaseAll(svc: KObject, ctx: RequestContext): Promise<void> {
  if (ctx.dryRun) return;
  const a = allocatorsFor(ctx);
  const owner = ownerOf(svc);
  for (const ip of heldIPs(svc)) await a.ips.release(ip, owner);
  for (const p of heldPorts(svc)) await a.ports.release(p, owner);
}
