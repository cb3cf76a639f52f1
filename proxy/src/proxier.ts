// The node proxy's control loop: informers on Services, EndpointSlices and Nodes feed a
// debounced sync that recomputes everything from the caches (so a restart, a missed event
// or a hand-edited rule all end in the same state) and applies it in one transaction.
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import { flushStaleUdp, staleUdpFlows } from './conntrack.ts';
import { IptablesSyncer } from './iptables.ts';
import type { IptablesRunner } from './iptables.ts';
import type { ProxyMetrics } from './metrics.ts';
import { buildServicePorts } from './model.ts';
import type { ServicePort } from './model.ts';
import { RetryTimer } from './retry-timer.ts';
import { syncRoutes, wantedRoutes } from './routes.ts';
import { computeRules } from './rules.ts';
import { mergeNetpolRules } from './netpol/agent.ts';
import type { NetworkPolicyAgent } from './netpol/agent.ts';
import { SyncGate } from './sync-gate.ts';

export interface ProxierOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  nodeIP?: string;
  clusterCIDR?: string;
  /** install routes to the other nodes' pod CIDRs */
  hostGateway: boolean;
  log: Logger;
  metrics?: ProxyMetrics;
  /** coalesces bursts of events; an endpoint change reaches the rules within this plus the sync time */
  debounceMs?: number;
  /** full resync even without events, repairing rules someone else changed */
  resyncMs?: number;
  iptables?: IptablesRunner;
  /** flush stale UDP conntrack entries (needs the conntrack tool) */
  conntrack?: boolean;
  /** enforces NetworkPolicy in the same iptables transaction (proxy/src/netpol/) */
  networkPolicy?: NetworkPolicyAgent;
}

export class Proxier {
  private readonly o: ProxierOptions;
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<V1EndpointSlice>;
  private readonly nodes?: Informer<V1Node>;
  private timer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private rulesDirty = true;
  private routesDirty = true;
  /** routes are listed and written only when the wanted ones changed, or at a resync */
  private readonly routesGate = new SyncGate();
  private again = false;
  private stopped = false;
  private applied: ServicePort[] = [];
  /** objects the edge check refused, with the reason last logged: one log line per new reason */
  private refused = new Map<string, string>();
  /** the route errors last logged: a failure that lasts is logged once, not at every retry */
  private routeErrorsLogged = '';
  private readonly retries = new RetryTimer(() => this.kick());
  private readonly iptables: IptablesSyncer;
  /** ms since epoch of the last successful rule sync; 0 before the first */
  lastSyncAt = 0;
  syncCount = 0;

  constructor(o: ProxierOptions) {
    this.o = o;
    this.iptables = new IptablesSyncer(o.iptables);
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = o.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.services = new Informer<V1Service>({ kubeConfig: o.kubeConfig, path: '/api/v1/services', list: () => core.listServiceForAllNamespaces(), log: o.log });
    this.slices = new Informer<V1EndpointSlice>({
      kubeConfig: o.kubeConfig,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: () => discovery.listEndpointSliceForAllNamespaces(),
      log: o.log,
    });
    const onRules = () => this.request('rules');
    this.services.on({ add: onRules, update: onRules, delete: onRules });
    this.slices.on({ add: onRules, update: onRules, delete: onRules });
    if (o.hostGateway) {
      this.nodes = new Informer<V1Node>({ kubeConfig: o.kubeConfig, path: '/api/v1/nodes', list: () => core.listNode(), log: o.log });
      const onRoutes = () => this.request('routes');
      this.nodes.on({ add: onRoutes, update: onRoutes, delete: onRoutes });
    }
    o.networkPolicy?.onChange(onRules);
  }

  async start(): Promise<void> {
    const informers = [this.services, this.slices, ...(this.nodes ? [this.nodes] : [])];
    await Promise.all(informers.map((i) => i.start()));
    // never sync from half-filled caches: that would drop the rules of a restarted proxy
    await Promise.all([...informers.map((i) => i.waitForSync()), this.o.networkPolicy?.start()]);
    this.rulesDirty = this.routesDirty = true;
    await this.syncNow();
    const resync = () => {
      this.resyncTimer = setTimeout(() => {
        this.iptables.forceFullSync();
        this.o.networkPolicy?.forceFullSync();
        this.routesGate.force();
        this.rulesDirty = this.routesDirty = true;
        this.kick();
        resync();
      }, this.o.resyncMs ?? 30_000);
      this.resyncTimer.unref();
    };
    resync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    this.retries.stop();
    this.services.stop();
    this.slices.stop();
    this.nodes?.stop();
    this.o.networkPolicy?.stop();
  }

  hasSynced(): boolean {
    return this.lastSyncAt > 0;
  }

  private request(what: 'rules' | 'routes'): void {
    if (what === 'rules') this.rulesDirty = true;
    else this.routesDirty = true;
    if (this.lastSyncAt === 0 && !this.running) return; // start() does the first sync
    this.kick();
  }

  private kick(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow();
    }, this.o.debounceMs ?? 50);
  }

  /** Runs a sync now (or right after the one in progress); resolves when it is done. */
  async syncNow(): Promise<void> {
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
    const { log, metrics } = this.o;
    let failed = false;
    if (this.rulesDirty) {
      this.rulesDirty = false;
      const started = process.hrtime.bigint();
      try {
        const refusedNow = new Map<string, string>();
        const ports = buildServicePorts(this.services.list(), this.slices.list(), this.o.nodeName, (kind, key, why) => {
          refusedNow.set(`${kind} ${key}`, why);
          if (this.refused.get(`${kind} ${key}`) !== why) log.warn('skipping an object the rules cannot hold', { kind, object: key, reason: why });
        });
        this.refused = refusedNow;
        const services = computeRules(ports, { clusterCIDR: this.o.clusterCIDR });
        // the sets a policy rule names must exist before the rule
        const np = await this.o.networkPolicy?.prepare();
        const ruleset = np ? mergeNetpolRules(services, np) : services;
        const mode = await this.iptables.apply(ruleset);
        await this.o.networkPolicy?.finish();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics?.syncDuration.observe(seconds);
        metrics?.lastSync.set(Date.now() / 1000);
        metrics?.rules.set({ table: 'nat' }, ruleset.nat.rules.length);
        metrics?.rules.set({ table: 'filter' }, ruleset.filter.rules.length);
        if (this.o.conntrack !== false) {
          await flushStaleUdp(staleUdpFlows(this.applied, ports)).catch((e: Error) => log.warn('conntrack cleanup failed', { err: e.message }));
        }
        this.applied = ports;
        this.lastSyncAt = Date.now();
        this.syncCount++;
        log.debug('rules synced', { mode, servicePorts: ports.length, natRules: ruleset.nat.rules.length, ms: Math.round(seconds * 1000) });
      } catch (e) {
        this.rulesDirty = true;
        metrics?.syncFailures.inc();
        log.error('rule sync failed, retrying', { err: (e as Error).message, inMs: this.retries.pendingDelayMs });
        failed = true;
      }
    }
    if (this.routesDirty && this.nodes) {
      this.routesDirty = false;
      try {
        const wanted = wantedRoutes(this.nodes.list(), this.o.nodeName, this.o.nodeIP);
        const state = JSON.stringify(wanted);
        const { changes, errors } = this.routesGate.needed(state) ? await syncRoutes(wanted) : { changes: { replace: [], remove: [] }, errors: [] };
        metrics?.routes.set(wanted.length);
        if (changes.replace.length || changes.remove.length) log.info('pod routes synced', { added: changes.replace, removed: changes.remove });
        const errorsText = errors.join('\n');
        if (errorsText !== this.routeErrorsLogged) {
          if (errors.length) log.warn('some pod routes failed, retrying with back-off', { errors });
          else log.info('pod routes recovered');
          this.routeErrorsLogged = errorsText;
        }
        if (errors.length) {
          this.routesGate.failed();
          this.routesDirty = true;
          failed = true;
        } else {
          this.routesGate.done(state);
        }
      } catch (e) {
        this.routesGate.failed();
        this.routesDirty = true;
        metrics?.syncFailures.inc();
        log.error('route sync failed, retrying', { err: (e as Error).message, inMs: this.retries.pendingDelayMs });
        failed = true;
      }
    }
    if (!failed) this.retries.succeeded();
    else if (!this.stopped) this.retries.failed();
  }
}
