// The Service load-balancer address controller, in the spirit of k3s ServiceLB and MetalLB's
// layer-2 mode: every Service of type LoadBalancer that names no other loadBalancerClass gets
// one address from --load-balancer-ip-pool (spec.loadBalancerIP when it asks for a free one of
// the pool), written to status.loadBalancer.ingress. The address goes back to the pool when the
// Service is deleted or stops being a LoadBalancer. Making the address reachable is the node
// proxy's job (proxy/src/lb-announce.ts); this controller only hands addresses out.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Service } from '@kubernetes/client-node';
import { keyOf, splitKey, WorkQueue, type ReconcileResult } from '@skiff/common';
import type { ControllerContext, ControllerDescriptor } from '../../controller-context.ts';
import { isNotFound } from '../../lib/api-errors.ts';
import { eventRef, newEventRecorder } from '../../lib/events.ts';
import { runManagedController } from '../../lib/run-controller.ts';
import { IpPool } from './ip-pool.ts';

export const name = 'service-lb';
/** spec.loadBalancerClass of the Services we serve; a Service without a class is ours too. */
export const LOAD_BALANCER_CLASS = 'skiff.io/service-lb';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export const reasons = { allocated: 'IPAllocated', failed: 'AllocationFailed', released: 'IPReleased' } as const;

/** A LoadBalancer Service this controller is responsible for (no class, or ours). */
export function isManaged(svc: V1Service): boolean {
  if (svc.spec?.type !== 'LoadBalancer' || svc.metadata?.deletionTimestamp) return false;
  const cls = svc.spec.loadBalancerClass;
  return cls === undefined || cls === null || cls === '' || cls === LOAD_BALANCER_CLASS;
}

/** The addresses status.loadBalancer.ingress lists. */
export function statusAddresses(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
}

/** What decide() says a managed Service should show. */
export type Decision = { ip: string; newlyClaimed: boolean } | { problem: string };

/** Picks the Service's address from the pool (claiming it); pure apart from the pool. */
export function decide(pool: IpPool, key: string, svc: V1Service, poolText: string): Decision {
  const requested = svc.spec?.loadBalancerIP;
  const before = pool.addressOf(key);
  if (requested) {
    if (!pool.contains(requested)) return { problem: `requested loadBalancerIP ${requested} is not in the pool ${poolText}` };
    if (!pool.claim(requested, key)) return { problem: `requested loadBalancerIP ${requested} is already in use by another Service` };
    return { ip: requested, newlyClaimed: before !== requested };
  }
  const ip = pool.claimNext(key);
  if (ip === undefined) return { problem: `no available IPs in the pool ${poolText} (${pool.size} addresses, all in use)` };
  return { ip, newlyClaimed: before !== ip };
}

export const serviceLbController: ControllerDescriptor = {
  name,
  async start(ctx: ControllerContext) {
    const log = ctx.log.child({ controller: name });
    const poolText = ctx.config.loadBalancerIPPool?.trim() ?? '';
    if (!poolText) {
      log.info('no --load-balancer-ip-pool: LoadBalancer Services stay pending');
      return async () => {};
    }
    const pool = new IpPool(poolText);
    log.info('load-balancer address pool', { pool: poolText, addresses: pool.size });
    const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
    const services = ctx.informers.informerFor<V1Service>('/api/v1/services', () => core.listServiceForAllNamespaces());
    const events = newEventRecorder(ctx, 'service-lb-controller');
    const queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 60_000 });
    const enqueue = (s: V1Service) => queue.add(keyOf(s));
    services.on({ add: enqueue, update: enqueue, delete: enqueue });

    /** A freed address may end another Service's wait. */
    const retryPending = () => {
      for (const s of services.list()) if (isManaged(s) && pool.addressOf(keyOf(s)) === undefined) queue.add(keyOf(s));
    };

    const writeStatus = async (svc: V1Service, ips: string[]) => {
      const { namespace, name: svcName } = splitKey(keyOf(svc));
      // a merge patch replaces the ingress list as a whole; null removes it
      const loadBalancer = { ingress: ips.length ? ips.map((ip) => ({ ip, ipMode: 'VIP' })) : null };
      await core.patchNamespacedServiceStatus({ name: svcName, namespace: namespace!, body: { status: { loadBalancer } } }, mergePatch);
    };

    async function reconcile(key: string): Promise<ReconcileResult> {
      const svc = services.get(splitKey(key).name, splitKey(key).namespace);
      if (!svc || !isManaged(svc)) {
        const freed = pool.release(key);
        if (freed) {
          log.info('load-balancer address freed', { service: key, ip: freed });
          retryPending();
        }
        // a Service that stopped being a LoadBalancer loses the address we wrote (the way
        // upstream's service controller clears status when it deletes the balancer)
        if (svc && !svc.metadata?.deletionTimestamp && svc.spec?.type !== 'LoadBalancer' && statusAddresses(svc).some((ip) => pool.contains(ip))) {
          await writeStatus(svc, []).catch((e) => {
            if (!isNotFound(e)) throw e;
          });
          if (freed)
            events.event(eventRef(svc, 'v1', 'Service'), 'Normal', reasons.released, `Released IP ["${freed}"]: the Service is no longer of type LoadBalancer`);
        }
        return;
      }
      const decision = decide(pool, key, svc, poolText);
      if ('problem' in decision) {
        const freed = pool.release(key);
        if (freed) retryPending();
        if (statusAddresses(svc).length) await writeStatus(svc, []);
        events.event(eventRef(svc, 'v1', 'Service'), 'Warning', reasons.failed, `Failed to allocate IP for "${key}": ${decision.problem}`);
        return;
      }
      const shown = svc.status?.loadBalancer?.ingress ?? [];
      if (shown.length === 1 && shown[0]!.ip === decision.ip && shown[0]!.ipMode === 'VIP' && !shown[0]!.hostname) return;
      try {
        await writeStatus(svc, [decision.ip]);
      } catch (e) {
        if (isNotFound(e)) {
          pool.release(key);
          return;
        }
        throw e;
      }
      log.info('load-balancer address assigned', { service: key, ip: decision.ip });
      if (decision.newlyClaimed || statusAddresses(svc)[0] !== decision.ip)
        events.event(eventRef(svc, 'v1', 'Service'), 'Normal', reasons.allocated, `Assigned IP ["${decision.ip}"]`);
    }

    return runManagedController(ctx, {
      name,
      queue,
      events,
      caches: [services],
      workers: 1,
      reconcile,
      // before any decision, every address already shown in a status is taken again by its
      // Service (oldest first), so a restarted controller hands out nothing twice
      beforeWorkers: () => {
        const managed = services.list().filter(isManaged);
        const created = (s: V1Service) => new Date(s.metadata?.creationTimestamp ?? 0).getTime();
        managed.sort((a, b) => created(a) - created(b));
        for (const s of managed) {
          const ip = statusAddresses(s).find((a) => pool.contains(a));
          if (ip && (!s.spec?.loadBalancerIP || s.spec.loadBalancerIP === ip)) pool.claim(ip, keyOf(s));
        }
        for (const s of services.list()) queue.add(keyOf(s));
      },
    });
  },
};
