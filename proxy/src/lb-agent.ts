// The proxy's load-balancer part: from Services, Nodes and EndpointSlices it keeps this node's
// share of load-balancer addresses on the external interface (lb-announce.ts, chosen by
// lb-election.ts) and the health-check node ports of Local Services open (lb-healthcheck.ts).
// The Service rules for those addresses are the proxier's (model.ts serves them like external
// IPs), on every node. Kept apart from the proxier so that its watches and failures are its own.
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import client from 'prom-client';
import { interfaceOf, syncAddresses } from './lb-announce.ts';
import { announcementsFor } from './lb-election.ts';
import { HealthCheckServers, wantedHealthChecks } from './lb-healthcheck.ts';
import { RetryTimer } from './retry-timer.ts';
import { SyncGate } from './sync-gate.ts';

export interface LoadBalancerAgentOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** the address whose interface carries the announced addresses; none: no announcing */
  nodeIP?: string;
  /** put elected addresses on the interface (false: rules and health checks only) */
  announce: boolean;
  log: Logger;
  registry?: client.Registry;
  debounceMs?: number;
  resyncMs?: number;
}

export class LoadBalancerAgent {
  private readonly o: LoadBalancerAgentOptions;
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<V1EndpointSlice>;
  private readonly nodes: Informer<V1Node>;
  private readonly healthChecks: HealthCheckServers;
  private readonly remembered = new Set<string>();
  private readonly announced?: client.Gauge;
  private iface?: string;
  private timer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private readonly retries = new RetryTimer(() => this.kick());
  /** the interface's addresses are listed and changed only when the wanted ones changed, or at a resync */
  private readonly addresses = new SyncGate();
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(o: LoadBalancerAgentOptions) {
    this.o = o;
    const log = o.log.child({ part: 'load-balancer' });
    this.healthChecks = new HealthCheckServers(log);
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = o.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.services = new Informer<V1Service>({ kubeConfig: o.kubeConfig, path: '/api/v1/services', list: () => core.listServiceForAllNamespaces(), log });
    this.slices = new Informer<V1EndpointSlice>({
      kubeConfig: o.kubeConfig,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: () => discovery.listEndpointSliceForAllNamespaces(),
      log,
    });
    this.nodes = new Informer<V1Node>({ kubeConfig: o.kubeConfig, path: '/api/v1/nodes', list: () => core.listNode(), log });
    const kick = () => this.kick();
    for (const i of [this.services, this.slices, this.nodes] as Informer<unknown & object>[]) i.on({ add: kick, update: kick, delete: kick });
    if (o.registry) {
      this.announced = new client.Gauge({
        name: 'skiff_proxy_load_balancer_addresses_announced',
        help: 'load-balancer addresses this node holds on its external interface',
        registers: [o.registry],
      });
    }
  }

  async start(): Promise<void> {
    const informers = [this.services, this.slices, this.nodes];
    await Promise.all(informers.map((i) => i.start()));
    await Promise.all(informers.map((i) => i.waitForSync()));
    if (this.o.announce && this.o.nodeIP) {
      this.iface = await interfaceOf(this.o.nodeIP);
      if (!this.iface) this.o.log.warn('no interface holds the node IP: load-balancer addresses are not announced', { nodeIP: this.o.nodeIP });
    }
    this.o.log.info('load-balancer agent started', { interface: this.iface ?? null });
    await this.syncNow();
    const resync = () => {
      this.resyncTimer = setTimeout(() => {
        this.addresses.force();
        this.kick();
        resync();
      }, this.o.resyncMs ?? 30_000);
      this.resyncTimer.unref();
    };
    resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    this.retries.stop();
    for (const i of [this.services, this.slices, this.nodes]) i.stop();
    await this.running;
    // the addresses stay, as the rules do: traffic flows on while the proxy restarts
    await this.healthChecks.close();
  }

  private kick(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow();
    }, this.o.debounceMs ?? 50);
  }

  private async syncNow(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.syncOnce().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const { log, nodeName } = this.o;
    const services = this.services.list();
    const slices = this.slices.list();
    try {
      await this.healthChecks.sync(wantedHealthChecks(services, slices, nodeName));
      if (!this.iface) return;
      const mine = announcementsFor(nodeName, services, this.nodes.list(), slices);
      this.announced?.set(mine.length);
      const state = JSON.stringify(mine.map((a) => a.ip).sort());
      if (!this.addresses.needed(state)) return this.retries.succeeded();
      const changes = await syncAddresses(
        this.iface,
        mine.map((a) => a.ip),
        this.remembered,
      );
      if (changes.added.length || changes.removed.length) {
        log.info('load-balancer addresses announced', { interface: this.iface, added: changes.added, removed: changes.removed, holding: mine });
      }
      if (changes.errors.length) throw new Error(changes.errors.join('; '));
      this.addresses.done(state);
    } catch (e) {
      this.addresses.failed();
      log.warn('load-balancer sync failed, retrying', { err: (e as Error).message, inMs: this.retries.pendingDelayMs });
      if (!this.stopped) this.retries.failed();
      return;
    }
    this.retries.succeeded();
  }
}
