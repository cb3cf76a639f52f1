// The `kubernetes` Service's Endpoints and EndpointSlice, kept as kube-apiserver's `lease`
// endpoint reconciler keeps them (pkg/controlplane/reconcilers/lease.go): every apiserver
// renews its advertise address under /registry/masterleases/<ip>, an etcd key with a TTL,
// lists the live keys and rewrites default/kubernetes from them. An apiserver that dies stops
// renewing, its key expires and the next reconcile of any other apiserver drops its address;
// one that stops cleanly deletes its key and rewrites the endpoints itself. Beyond upstream,
// every apiserver also watches the leases and rewrites the endpoints as soon as one expires,
// so that a dead apiserver leaves when its lease does, not up to an interval later.
import type { Logger } from '@skiff/common';
import { ApiError } from './errors.ts';
import type { ApiRegistry } from './registry/api-registry.ts';
import type { UserInfo } from './registry/store.ts';
import type { KObject } from './registry/types.ts';
import type { Storage, Watcher } from './storage/index.ts';

const system: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
const SERVICE = 'kubernetes';
const NAMESPACE = 'default';
/** where the leases live, as upstream's `masterleases` key under the etcd prefix */
export const MASTER_LEASES_PREFIX = '/registry/masterleases/';
/** upstream's DefaultEndpointReconcilerTTL and DefaultEndpointReconcilerInterval */
export const DEFAULT_LEASE_TTL_SECONDS = 15;
export const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;

export type EndpointReconcilerType = 'lease' | 'none';
export const endpointReconcilerTypes: readonly EndpointReconcilerType[] = ['lease', 'none'];

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
}

export interface LeaseEndpointReconcilerOptions {
  storage: Storage;
  registry: ApiRegistry;
  /** this apiserver's --advertise-address */
  ip: string;
  /** its secure port: the endpoints' port */
  port: number;
  leaseTtlSeconds?: number;
  intervalMs?: number;
  log: Logger;
}

/** The addresses with a live lease, sorted (upstream lists them in key order, which is the same). */
export async function listMasterLeases(storage: Storage): Promise<string[]> {
  const { items } = await storage.list(MASTER_LEASES_PREFIX, {});
  const ips = items.map((o) => o.subsets?.[0]?.addresses?.[0]?.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
  return [...new Set(ips)].sort();
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class LeaseEndpointReconciler {
  private readonly o: Required<LeaseEndpointReconcilerOptions>;
  private timer: NodeJS.Timeout | undefined;
  private watcher: Watcher | undefined;
  private kicked = false;
  private stopped = false;
  /** one reconcile at a time: the loop and the removal at shutdown never interleave */
  private running: Promise<void> = Promise.resolve();

  constructor(o: LeaseEndpointReconcilerOptions) {
    this.o = { leaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS, intervalMs: DEFAULT_RECONCILE_INTERVAL_MS, ...o };
  }

  private get ports(): EndpointPort[] {
    return [{ name: 'https', port: this.o.port, protocol: 'TCP' }];
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const next = this.running.then(fn, fn);
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Renews this apiserver's lease and rewrites the endpoints now, then every interval. */
  async start(): Promise<void> {
    await this.reconcileOnce().catch((e: unknown) => this.o.log.warn('reconciling the kubernetes endpoints failed', { err: e as Error }));
    await this.watchLeases();
    const tick = () => {
      this.timer = setTimeout(() => {
        this.watchLeases()
          .then(() => this.reconcileOnce())
          .catch((e: unknown) => this.o.log.warn('reconciling the kubernetes endpoints failed', { err: e as Error }))
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, this.o.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** (Re)starts the watch on the leases when it is not running; the periodic loop does the rest. */
  private async watchLeases(): Promise<void> {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = await this.o.storage.watch(MASTER_LEASES_PREFIX, {}, (ev) => {
        if (ev.type === 'ERROR') {
          this.watcher?.stop();
          this.watcher = undefined;
        } else if (ev.type === 'ADDED' || ev.type === 'DELETED') {
          this.kick();
        }
      });
    } catch (e) {
      this.o.log.warn('watching the apiserver leases failed', { err: e as Error });
    }
  }

  /** An apiserver came or went: rewrite the endpoints (one run for a burst of events). */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    void this.serialized(async () => {
      this.kicked = false;
      if (!this.stopped) await this.reconcileEndpoints();
    }).catch((e: unknown) => this.o.log.warn('reconciling the kubernetes endpoints failed', { err: e as Error }));
  }

  reconcileOnce(): Promise<void> {
    return this.serialized(async () => {
      if (this.stopped) return;
      // the lease first, whatever happens below: then at least the other apiservers add us
      await this.renewLease();
      await this.reconcileEndpoints();
    });
  }

  /** Clean shutdown: stop renewing, delete our lease and write the endpoints without us. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.stop();
    this.watcher = undefined;
    await this.serialized(async () => {
      this.stopped = true;
      try {
        await this.o.storage.delete(MASTER_LEASES_PREFIX + this.o.ip);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      await this.reconcileEndpoints();
    });
  }

  private async renewLease(): Promise<void> {
    const ip = this.o.ip;
    await this.o.storage.guaranteedUpdate(
      MASTER_LEASES_PREFIX + ip,
      (cur) => ({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: ip, generation: ((cur?.metadata.generation as number | undefined) ?? 0) + 1 },
        // the generation changes on every renewal: an unchanged object is not written, and
        // only a write attaches the key to a new lease (upstream bumps it for the same reason)
        subsets: [{ addresses: [{ ip }] }],
      }),
      { ignoreNotFound: true, ttlSeconds: this.o.leaseTtlSeconds },
    );
  }

  private async reconcileEndpoints(): Promise<void> {
    const ips = await listMasterLeases(this.o.storage);
    // after renewing our own key, none at all means storage is wrong: do not erase everyone
    if (ips.length === 0) {
      if (this.stopped) return; // the last apiserver leaving: keep its address, as upstream does
      throw new Error('no apiserver leases listed in storage, refusing to erase the kubernetes endpoints');
    }
    await this.syncEndpoints(ips);
    await this.syncEndpointSlice(ips);
  }

  private async syncEndpoints(ips: string[]): Promise<void> {
    const store = this.o.registry.store('', 'v1', 'endpoints');
    if (!store) return;
    const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    const subsets = [{ addresses: ips.map((ip) => ({ ip })), ports: this.ports }];
    for (let attempt = 0; ; attempt++) {
      try {
        const cur = await getOrUndefined(store, NAMESPACE, SERVICE);
        if (!cur) {
          const obj = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: SERVICE, namespace: NAMESPACE, labels }, subsets };
          await store.create(NAMESPACE, obj, { user: system, fieldManager: 'kube-apiserver' });
        } else if (!sameJson(cur.subsets, subsets) || !sameJson(cur.metadata.labels, labels)) {
          this.o.log.info('resetting the kubernetes endpoints', { addresses: ips });
          await store.update(NAMESPACE, SERVICE, { ...cur, metadata: { ...cur.metadata, labels }, subsets }, { user: system, fieldManager: 'kube-apiserver' });
        }
        return;
      } catch (e) {
        // another apiserver wrote it in between: read again (upstream retries Conflict and AlreadyExists)
        if (attempt < 4 && isRetriable(e)) continue;
        throw e;
      }
    }
  }

  private async syncEndpointSlice(ips: string[]): Promise<void> {
    const store = this.o.registry.store('discovery.k8s.io', 'v1', 'endpointslices');
    if (!store) return;
    const labels = { 'kubernetes.io/service-name': SERVICE };
    const endpoints = ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
    const ports = this.ports;
    for (let attempt = 0; ; attempt++) {
      try {
        const cur = await getOrUndefined(store, NAMESPACE, SERVICE);
        if (!cur) {
          const obj = {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: SERVICE, namespace: NAMESPACE, labels },
            addressType: 'IPv4',
            endpoints,
            ports,
          };
          await store.create(NAMESPACE, obj, { user: system, fieldManager: 'kube-apiserver' });
        } else if (!sameJson(cur.endpoints, endpoints) || !sameJson(cur.ports, ports) || !sameJson(cur.metadata.labels, labels)) {
          const next = { ...cur, metadata: { ...cur.metadata, labels }, addressType: 'IPv4', endpoints, ports };
          await store.update(NAMESPACE, SERVICE, next, { user: system, fieldManager: 'kube-apiserver' });
        }
        return;
      } catch (e) {
        if (attempt < 4 && isRetriable(e)) continue;
        throw e;
      }
    }
  }
}

function isRetriable(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 409 || e.reason === 'AlreadyExists');
}

async function getOrUndefined(store: { get(ns: string | undefined, name: string): Promise<KObject> }, ns: string, name: string): Promise<KObject | undefined> {
  try {
    return await store.get(ns, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}
