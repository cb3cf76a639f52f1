// The proxy's NetworkPolicy part: informers on pods, namespaces and NetworkPolicies ask the
// proxier for a sync (debounced with the Service rules); each sync brings the ipsets up to date
// first, hands its chains to the proxier's one iptables-restore transaction, and destroys the
// sets no rule uses any more afterwards.
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import client from 'prom-client';
import type { Ruleset } from '../rules.ts';
import { IpsetSyncer } from './ipset.ts';
import type { IpsetRunner } from './ipset.ts';
import { computeNetpolRules } from './model.ts';
import type { NetpolRules } from './model.ts';

export interface NetworkPolicyAgentOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  clusterCIDR?: string;
  log: Logger;
  registry?: client.Registry;
  ipset?: IpsetRunner;
}

export interface NetpolMetrics {
  syncDuration: client.Histogram;
  sets: client.Gauge;
  members: client.Gauge;
  rules: client.Gauge;
  policies: client.Gauge;
}

export function createNetpolMetrics(registry: client.Registry): NetpolMetrics {
  return {
    syncDuration: new client.Histogram({
      name: 'skiff_proxy_network_policy_sync_duration_seconds',
      help: 'time to compute the network policy sets and rules and to write the sets',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    sets: new client.Gauge({ name: 'skiff_proxy_network_policy_ipsets', help: 'ipsets of network policies on this node', registers: [registry] }),
    members: new client.Gauge({ name: 'skiff_proxy_network_policy_ipset_members', help: 'members of all those ipsets', registers: [registry] }),
    rules: new client.Gauge({
      name: 'skiff_proxy_network_policy_iptables_rules',
      help: 'iptables rules of network policies on this node',
      registers: [registry],
    }),
    policies: new client.Gauge({
      name: 'skiff_proxy_network_policies_active',
      help: 'network policies that select at least one pod of this node',
      registers: [registry],
    }),
  };
}

/** Adds the network policy chains to the proxier's ruleset; the FORWARD jump goes first, before the Service rules accept anything. */
export function mergeNetpolRules(ruleset: Ruleset, np: NetpolRules): Ruleset {
  return {
    filter: {
      chains: [...ruleset.filter.chains, ...np.filter.chains],
      rules: [...ruleset.filter.rules, ...np.filter.rules],
      jumps: [...np.filter.jumps, ...ruleset.filter.jumps],
    },
    nat: {
      chains: [...ruleset.nat.chains, ...np.nat.chains],
      rules: [...ruleset.nat.rules, ...np.nat.rules],
      jumps: [...ruleset.nat.jumps, ...np.nat.jumps],
    },
  };
}

export class NetworkPolicyAgent {
  private readonly o: NetworkPolicyAgentOptions;
  private readonly pods: Informer<V1Pod>;
  private readonly namespaces: Informer<V1Namespace>;
  private readonly policies: Informer<V1NetworkPolicy>;
  private readonly ipsets: IpsetSyncer;
  private readonly metrics?: NetpolMetrics;
  private refused = new Map<string, string>();
  private pending?: NetpolRules;

  constructor(o: NetworkPolicyAgentOptions) {
    this.o = o;
    this.ipsets = new IpsetSyncer(o.ipset);
    this.metrics = o.registry ? createNetpolMetrics(o.registry) : undefined;
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    const networking = o.kubeConfig.makeApiClient(NetworkingV1Api);
    this.pods = new Informer<V1Pod>({ kubeConfig: o.kubeConfig, path: '/api/v1/pods', list: () => core.listPodForAllNamespaces(), log: o.log });
    this.namespaces = new Informer<V1Namespace>({ kubeConfig: o.kubeConfig, path: '/api/v1/namespaces', list: () => core.listNamespace(), log: o.log });
    this.policies = new Informer<V1NetworkPolicy>({
      kubeConfig: o.kubeConfig,
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      list: () => networking.listNetworkPolicyForAllNamespaces(),
      log: o.log,
    });
  }

  /** Calls `changed` on every event that can change the rules. */
  onChange(changed: () => void): void {
    const h = { add: changed, update: changed, delete: changed };
    this.pods.on(h);
    this.namespaces.on(h);
    this.policies.on(h);
  }

  async start(): Promise<void> {
    const all = [this.pods, this.namespaces, this.policies];
    await Promise.all(all.map((i) => i.start()));
    await Promise.all(all.map((i) => i.waitForSync()));
  }

  stop(): void {
    this.pods.stop();
    this.namespaces.stop();
    this.policies.stop();
  }

  forceFullSync(): void {
    this.ipsets.forceFullSync();
  }

  /** Computes the rules from the caches and writes the sets they use; the proxier then writes the rules. */
  async prepare(): Promise<NetpolRules> {
    const started = process.hrtime.bigint();
    const refusedNow = new Map<string, string>();
    const np = computeNetpolRules(
      {
        pods: this.pods.list(),
        namespaces: this.namespaces.list(),
        policies: this.policies.list(),
        nodeName: this.o.nodeName,
        clusterCIDR: this.o.clusterCIDR,
      },
      (kind, key, why) => {
        refusedNow.set(`${kind} ${key}`, why);
        if (this.refused.get(`${kind} ${key}`) !== why)
          this.o.log.warn('network policy: skipping what the rules cannot hold', { kind, object: key, reason: why });
      },
    );
    this.refused = refusedNow;
    const written = await this.ipsets.apply(np.sets);
    this.pending = np;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics?.syncDuration.observe(seconds);
    this.metrics?.sets.set(np.sets.length);
    this.metrics?.members.set(np.sets.reduce((n, s) => n + s.entries.length, 0));
    this.metrics?.rules.set(np.filter.rules.length + np.nat.rules.length);
    this.metrics?.policies.set(np.activePolicies);
    if (written) this.o.log.debug('network policy sets written', { written, sets: np.sets.length, ms: Math.round(seconds * 1000) });
    return np;
  }

  /** After the rules are in place: sets that no rule references any more go. */
  async finish(): Promise<void> {
    if (this.pending) await this.ipsets.destroyStale(this.pending.sets);
  }
}
