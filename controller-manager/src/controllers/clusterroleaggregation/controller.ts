// ClusterRole aggregation (pkg/controller/clusterroleaggregation): a ClusterRole with an
// aggregationRule gets, as its rules, the rules of every other ClusterRole one of its selectors
// matches, in name order and without duplicates. admin, edit and view are built this way.
import { RbacAuthorizationV1Api, type V1ClusterRole, type V1PolicyRule } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { labelSelectorMatches } from '@skiff/common/apimachinery/label-selector';
import { InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';

export const name = 'clusterrole-aggregation';

/** The rules an aggregated role should hold, given every ClusterRole. */
export function aggregatedRules(role: V1ClusterRole, all: V1ClusterRole[]): V1PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors ?? [];
  const out: V1PolicyRule[] = [];
  const seen = new Set<string>();
  const sources = all.filter((r) => r.metadata?.name !== role.metadata?.name).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const selector of selectors) {
    for (const source of sources) {
      if (!labelSelectorMatches(selector as any, source.metadata?.labels ?? {})) continue;
      for (const rule of source.rules ?? []) {
        const key = JSON.stringify(rule);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(rule);
      }
    }
  }
  return out;
}

async function sync(api: RbacAuthorizationV1Api, roles: Informer<V1ClusterRole>, roleName: string): Promise<void> {
  const role = roles.get(roleName);
  if (!role?.aggregationRule) return;
  const rules = aggregatedRules(role, [...roles.list()]);
  if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
  await api.replaceClusterRole({ name: roleName, body: { ...role, rules } });
}

export async function start(ctx: ControllerDeps): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const api = ctx.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const informers = new InformerSet(ctx, log);
  const roles = informers.on<V1ClusterRole>('/apis/rbac.authorization.k8s.io/v1/clusterroles', () => api.listClusterRole() as any);
  const queue = new WorkQueue<string>();
  // any change may feed any aggregated role: requeue them all, as upstream does
  const enqueueAggregated = () => {
    for (const r of roles.list()) if (r.aggregationRule && r.metadata?.name) queue.add(r.metadata.name);
  };
  roles.on({ add: enqueueAggregated, update: enqueueAggregated, delete: enqueueAggregated });
  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: 1,
    reconcile: (roleName) => sync(api, roles, roleName),
  });
}
